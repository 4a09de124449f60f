import { createPrivateKey } from 'node:crypto';
import * as z from 'zod';
import { CredentialScope } from '../secrets/credential-scope.ts';
import type { ForgeKind } from './types.ts';

/**
 * An API base URL from configuration, under the same rule as a credential
 * prefix (https, or http to loopback only; no user info, query or
 * fragment), since the credential is sent there.
 */
const ApiURL = z.string().transform((value, ctx) => {
  const parsed = CredentialScope.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      ctx.addIssue({
        code: 'custom',
        message: issue.message.replace(/^credential prefix/, 'apiURL'),
      });
    }
    return z.NEVER;
  }
  return `${parsed.data.origin}${parsed.data.path.replace(/\/$/, '')}`;
});

const Secret = z.string().min(1);
const api = { apiURL: ApiURL.optional() };

/** A PEM private key, refused at parse time rather than at the first status; the key is never quoted. */
const PrivateKey = z.string().refine(
  (pem) => {
    try {
      return createPrivateKey(pem).asymmetricKeyType === 'rsa';
    } catch {
      return false;
    }
  },
  { message: 'privateKey is not an RSA private key in PEM form' },
);

/**
 * Bitbucket takes either an access token (repository, project or
 * workspace; sent as Bearer) or a username with an app password or API
 * token (Basic): exactly one of the two.
 */
const BitbucketCredential = z
  .strictObject({
    type: z.literal('bitbucket'),
    token: Secret.optional(),
    username: Secret.optional(),
    appPassword: Secret.optional(),
    ...api,
  })
  .transform(({ token, username, appPassword, ...rest }, ctx) => {
    if (token !== undefined && username === undefined && appPassword === undefined)
      return { ...rest, token };
    if (token === undefined && username !== undefined && appPassword !== undefined) {
      return { ...rest, username, appPassword };
    }
    ctx.addIssue({
      code: 'custom',
      message: 'bitbucket takes a token, or a username and an appPassword',
    });
    return z.NEVER;
  });

/**
 * One forge credential. `github`: a personal or fine-grained token;
 * `github-app`: an App's id, private key and installation (installation
 * tokens are fetched and reused until they expire); `gitlab`: a project or
 * group access token (PRIVATE-TOKEN header); `bitbucket`: see above;
 * `gitea`: a token.
 */
export const ForgeCredential = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('github'), token: Secret, ...api }),
  z.strictObject({
    type: z.literal('github-app'),
    appId: z.number().int().positive(),
    privateKey: PrivateKey,
    installationId: z.number().int().positive(),
    ...api,
  }),
  z.strictObject({ type: z.literal('gitlab'), token: Secret, ...api }),
  BitbucketCredential,
  z.strictObject({ type: z.literal('gitea'), token: Secret, ...api }),
]);
export type ForgeCredential = z.output<typeof ForgeCredential>;

export const kindOf = (credential: ForgeCredential): ForgeKind =>
  credential.type === 'github-app' ? 'github' : credential.type;

/** A credential with where it may be used and where its API is. */
export interface ScopedForgeCredential {
  scope: CredentialScope;
  credential: ForgeCredential;
  apiBase: string;
  /** The path repositories live under on the scope's origin (see webRoot). */
  webRoot: string;
}
