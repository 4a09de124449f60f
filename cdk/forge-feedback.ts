import { Token } from 'aws-cdk-lib';

/**
 * Forge feedback (commit statuses on the synced commits, previews of pull
 * requests): the props' checks and defaults. The reconciler reads the forge
 * credentials and the link template, the webhook function the fork setting
 * (docs/aws.md#forge-feedback).
 */

/** The reconciler's secret of forge tokens (with `forgeCredentialsSecretArn`). */
export const FORGE_CREDENTIALS_ENV = 'DRIFTLESS_FORGE_CREDENTIALS_SECRET_ARN';
/** The reconciler's link template for commit statuses, `{app}` for the application's name. */
export const APP_URL_ENV = 'DRIFTLESS_APP_URL';
/** The webhook function's `true` or `false`: whether pull requests get previews (forge credentials exist). */
export const PREVIEWS_ENV = 'DRIFTLESS_PREVIEWS';
/** The webhook function's `true` or `false`: whether pull requests from forks get previews. */
export const PREVIEW_FORKS_ENV = 'DRIFTLESS_PREVIEW_FORKS';

/**
 * The secret's ARN, if it is a complete one: the grant names exactly that
 * secret, and a partial ARN (no random suffix) would name none.
 */
export function forgeCredentialsSecretArn(arn: string | undefined): string | undefined {
  if (arn === undefined || Token.isUnresolved(arn)) return arn;
  if (!/^arn:[\w-]+:secretsmanager:[\w-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/.test(arn))
    throw new Error(
      `forgeCredentialsSecretArn must be a secret's complete ARN, with the 6-character suffix Secrets Manager adds to the name, got ${arn}`,
    );
  return arn;
}

/**
 * Where a commit status links: the given template, else the UI's page of the
 * application (its routes are in the fragment: ui/src/router.ts), else the
 * management API's route for it.
 */
export function appUrlTemplate(
  appUrl: string | undefined,
  uiUrl: string | undefined,
  apiUrl: string,
): string {
  if (appUrl !== undefined) {
    if (Token.isUnresolved(appUrl)) return appUrl;
    if (!appUrl.includes('{app}'))
      throw new Error(
        `appUrl must contain {app}, where the application's name goes, got ${appUrl}`,
      );
    const url = URL.parse(appUrl.replaceAll('{app}', 'app'));
    // The reconciler checks the same; caught here, it fails the deploy, not every link.
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
      throw new Error(`appUrl must be an http(s) URL, got ${appUrl}`);
    return appUrl;
  }
  // Both URLs end in a slash.
  return uiUrl !== undefined ? `${uiUrl}#/apps/{app}` : `${apiUrl}apps/{app}`;
}
