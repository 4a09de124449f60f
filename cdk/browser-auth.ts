import { Duration, Names, Stack, Token } from 'aws-cdk-lib';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { DriftlessOidcIssuer, DriftlessUi } from './props.ts';

/** The environment variable the API function reads the group → project mapping from. */
export const BROWSER_ACCESS_ENV = 'DRIFTLESS_BROWSER_ACCESS';

/** The admin group of the construct's user pool unless `adminGroups` names others. */
const DEFAULT_ADMIN_GROUP = 'driftless-admins';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Cognito's own rule for group names (no whitespace), which is also what lets
// the API split API Gateway's `[a b]` rendering of a groups claim safely.
const GROUP_NAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;

/** How the UI signs in, as config.json tells it (docs/aws.md#the-uis-configjson). */
export interface OidcSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes: string[];
  /** Given for Cognito; for another provider the UI reads its discovery document. */
  readonly authorizationEndpoint?: string;
  readonly tokenEndpoint?: string;
  readonly logoutEndpoint?: string;
}

/** The mapping the API function applies to a token's groups (shared/api/browser-principal.ts). */
export interface BrowserAccessSettings {
  readonly groupsClaim: string;
  readonly adminGroups: string[];
  readonly projectsByGroup: Record<string, string[]>;
}

export interface BrowserSignInProps {
  readonly ui: DriftlessUi;
  /** The UI's URL, where the sign-in provider sends users back. */
  readonly uiUrl: string;
  /** The Cognito sign-in domain's prefix (cognitoDomainPrefix); unused with `ui.oidc`. */
  readonly domainPrefix: string;
}

/**
 * Browser sign-in: a Cognito user pool (no self sign-up, MFA, a hosted sign-in
 * domain and a public client for the authorization code flow with PKCE), or
 * the team's own OIDC issuer; and the JWT authorizer that checks its tokens.
 */
export class BrowserSignIn extends Construct {
  readonly authorizer: HttpJwtAuthorizer;
  readonly settings: OidcSettings;
  readonly access: BrowserAccessSettings;
  /** The construct's user pool (absent with `oidc`). */
  readonly userPool?: cognito.UserPool;

  constructor(scope: Construct, id: string, props: BrowserSignInProps) {
    super(scope, id);
    const { ui } = props;
    this.access = checkedAccess({
      groupsClaim: ui.oidc ? (ui.oidc.groupsClaim ?? 'groups') : 'cognito:groups',
      adminGroups: ui.adminGroups ?? (ui.oidc ? [] : [DEFAULT_ADMIN_GROUP]),
      projectsByGroup: ui.projectsByGroup ?? {},
    });
    if (ui.oidc) {
      this.settings = ownIssuerSettings(ui.oidc);
    } else {
      this.userPool = userPool(this);
      addGroups(this.userPool, this.access);
      this.settings = this.cognitoClient(this.userPool, props);
    }
    // An ID token names the client in `aud` (Cognito's access tokens in `client_id`, also accepted).
    this.authorizer = new HttpJwtAuthorizer('BrowserSignIn', this.settings.issuer, {
      jwtAudience: ui.oidc?.audience ?? [this.settings.clientId],
    });
  }

  /** The UI's public client (authorization code, no secret) and the hosted sign-in domain. */
  private cognitoClient(pool: cognito.UserPool, props: BrowserSignInProps): OidcSettings {
    const client = pool.addClient('Ui', {
      generateSecret: false,
      // Only the hosted sign-in and refresh tokens: no password flows through the API.
      authFlows: { userSrp: false },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [props.uiUrl],
        logoutUrls: [props.uiUrl],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
    const domain = pool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix },
    });
    const { region, urlSuffix } = Stack.of(this);
    return {
      issuer: `https://cognito-idp.${region}.${urlSuffix}/${pool.userPoolId}`,
      clientId: client.userPoolClientId,
      scopes: ['openid', 'email', 'profile'],
      authorizationEndpoint: `${domain.baseUrl()}/oauth2/authorize`,
      tokenEndpoint: `${domain.baseUrl()}/oauth2/token`,
      logoutEndpoint: `${domain.baseUrl()}/logout`,
    };
  }
}

/** Users an administrator creates (no self sign-up), signing in by email with a password and a TOTP app. */
function userPool(scope: Construct): cognito.UserPool {
  return new cognito.UserPool(scope, 'Users', {
    selfSignUpEnabled: false,
    signInAliases: { email: true },
    autoVerify: { email: true },
    accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
    mfa: cognito.Mfa.REQUIRED,
    mfaSecondFactor: { otp: true, sms: false },
    passwordPolicy: {
      minLength: 12,
      requireLowercase: true,
      requireUppercase: true,
      requireDigits: true,
      requireSymbols: true,
      tempPasswordValidity: Duration.days(3),
    },
    // Threat protection (compromised credentials, risky sign-ins) needs the Plus plan.
    featurePlan: cognito.FeaturePlan.PLUS,
    standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
  });
}

/** A Cognito group for each admin group and each mapped group, described by what it sees. */
function addGroups(pool: cognito.UserPool, access: BrowserAccessSettings): void {
  const mapped = Object.keys(access.projectsByGroup);
  for (const group of new Set([...access.adminGroups, ...mapped]))
    new cognito.CfnUserPoolGroup(pool, `Group-${group}`, {
      userPoolId: pool.userPoolId,
      groupName: group,
      description: access.adminGroups.includes(group)
        ? 'Driftless UI: every project'
        : `Driftless UI: ${(access.projectsByGroup[group] ?? []).join(', ')}`,
    });
}

/**
 * The origins the UI connects to for sign-in (its CSP's connect-src): the
 * issuer, and Cognito's sign-in domain. Known before the resources exist, so
 * the distribution's headers need nothing of the user pool.
 */
export function signInOrigins(scope: Construct, ui: DriftlessUi, domainPrefix: string): string[] {
  if (ui.oidc) return [issuerOrigin(ui.oidc)];
  const { region, urlSuffix } = Stack.of(scope);
  return [
    `https://cognito-idp.${region}.${urlSuffix}`,
    `https://${domainPrefix}.auth.${region}.amazoncognito.com`,
  ];
}

/**
 * The Cognito sign-in domain's prefix: `ui.cognitoDomainPrefix`, or the
 * construct's unique id and the account, since prefixes are unique across
 * all accounts of a region.
 */
export function cognitoDomainPrefix(scope: Construct, ui: DriftlessUi): string {
  if (ui.cognitoDomainPrefix) return ui.cognitoDomainPrefix;
  const id = Names.uniqueResourceName(scope, { maxLength: 40, separator: '-' }).toLowerCase();
  return `${id}-${Stack.of(scope).account}`;
}

/** The issuer's origin; it must be known at synth, as the CSP and the authorizer name it. */
function issuerOrigin(oidc: DriftlessOidcIssuer): string {
  const url = Token.isUnresolved(oidc.issuer) ? undefined : URL.parse(oidc.issuer);
  if (url?.protocol !== 'https:')
    throw new Error(`ui.oidc.issuer must be a literal https URL, not ${oidc.issuer}`);
  return url.origin;
}

function ownIssuerSettings(oidc: DriftlessOidcIssuer): OidcSettings {
  issuerOrigin(oidc);
  if (oidc.groupsClaim === '') throw new Error('ui.oidc.groupsClaim must not be empty');
  return {
    issuer: oidc.issuer,
    clientId: oidc.clientId,
    scopes: oidc.scopes ?? ['openid', 'profile', 'email'],
  };
}

/** Refuses at synth what the API function would refuse at its cold start, or could never match. */
function checkedAccess(access: BrowserAccessSettings): BrowserAccessSettings {
  const groups = [...access.adminGroups, ...Object.keys(access.projectsByGroup)];
  for (const group of groups)
    if (!GROUP_NAME.test(group))
      throw new Error(`ui: group ${JSON.stringify(group)} must be 1-128 characters, no whitespace`);
  for (const [group, projects] of Object.entries(access.projectsByGroup))
    for (const project of projects)
      if (!DNS_LABEL.test(project) || project.length > 63)
        throw new Error(
          `ui.projectsByGroup[${JSON.stringify(group)}]: ${JSON.stringify(project)} is not a project name (a DNS label; no globs)`,
        );
  return access;
}
