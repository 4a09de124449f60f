import type { OidcSettings } from '../api/config.ts';
import { challengeOf, randomToken } from './pkce.ts';

/** The tokens of this tab's sign-in (sessionStorage: gone with the tab, never shared with others). */
interface Tokens {
  idToken: string;
  refreshToken?: string;
  expiresAt: number;
}

interface Endpoints {
  authorization: string;
  token: string;
  logout?: string;
}

const TOKENS = 'driftless-oidc-tokens';
const PENDING = 'driftless-oidc-pending';
/** A token this close to its expiry is refreshed first, so no request carries an expired one. */
const EARLY_MS = 60_000;

const redirectUri = () => `${location.origin}/`;

/** The provider's endpoints: as configured (Cognito), or from its discovery document. */
async function endpoints(settings: OidcSettings): Promise<Endpoints> {
  if (settings.authorizationEndpoint && settings.tokenEndpoint)
    return {
      authorization: settings.authorizationEndpoint,
      token: settings.tokenEndpoint,
      ...(settings.logoutEndpoint ? { logout: settings.logoutEndpoint } : {}),
    };
  const url = `${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const doc = (await (await fetch(url)).json()) as {
    authorization_endpoint: string;
    token_endpoint: string;
    end_session_endpoint?: string;
  };
  return {
    authorization: doc.authorization_endpoint,
    token: doc.token_endpoint,
    ...(doc.end_session_endpoint ? { logout: doc.end_session_endpoint } : {}),
  };
}

/** Sends the browser to the provider's sign-in page: authorization code flow with PKCE (S256). */
export async function startSignIn(settings: OidcSettings): Promise<void> {
  const verifier = randomToken();
  const state = randomToken();
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const url = new URL((await endpoints(settings)).authorization);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: settings.clientId,
    redirect_uri: redirectUri(),
    scope: settings.scopes.join(' '),
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

async function tokenRequest(
  settings: OidcSettings,
  params: Record<string, string>,
  /** A refresh answers without a new refresh token at some providers (Cognito): the old one stays. */
  previousRefresh?: string,
): Promise<Tokens> {
  const response = await fetch((await endpoints(settings)).token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: settings.clientId, ...params }).toString(),
  });
  const body = (await response.json().catch(() => ({}))) as {
    id_token?: string;
    refresh_token?: string;
    expires_in?: number;
    error?: string;
    error_description?: string;
  };
  if (!response.ok || !body.id_token)
    throw new Error(
      `sign-in failed: ${body.error_description ?? body.error ?? `HTTP ${response.status}`}`,
    );
  const tokens: Tokens = {
    idToken: body.id_token,
    expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000,
    ...(body.refresh_token || previousRefresh
      ? { refreshToken: body.refresh_token ?? previousRefresh }
      : {}),
  };
  sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
  return tokens;
}

/**
 * Completes a sign-in the provider redirected back from (`?code=…&state=…`):
 * the state must be the one this tab sent, and the code is traded with this
 * tab's verifier. The query is removed from the address bar either way.
 */
export async function finishSignIn(settings: OidcSettings): Promise<void> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (!code && !params.get('error')) return;
  history.replaceState(null, '', `/${location.hash}`);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as {
    verifier: string;
    state: string;
  } | null;
  sessionStorage.removeItem(PENDING);
  if (params.get('error'))
    throw new Error(`sign-in refused: ${params.get('error_description') ?? params.get('error')}`);
  if (!pending || params.get('state') !== pending.state)
    throw new Error('sign-in answer does not belong to this tab (state mismatch): sign in again');
  await tokenRequest(settings, {
    grant_type: 'authorization_code',
    code: code!,
    redirect_uri: redirectUri(),
    code_verifier: pending.verifier,
  });
}

/** This tab's ID token, refreshed when it is about to expire; undefined when there is none to use. */
export async function currentToken(settings: OidcSettings): Promise<string | undefined> {
  const tokens = JSON.parse(sessionStorage.getItem(TOKENS) ?? 'null') as Tokens | null;
  if (!tokens) return undefined;
  if (tokens.expiresAt - EARLY_MS > Date.now()) return tokens.idToken;
  if (!tokens.refreshToken) return undefined;
  try {
    const params = { grant_type: 'refresh_token', refresh_token: tokens.refreshToken };
    return (await tokenRequest(settings, params, tokens.refreshToken)).idToken;
  } catch {
    sessionStorage.removeItem(TOKENS);
    return undefined;
  }
}

/** Drops this tab's tokens (the API refused them): the next request signs in again. */
export function forgetTokens(): void {
  sessionStorage.removeItem(TOKENS);
}

/** Forgets this tab's tokens and ends the provider's session where it has a logout endpoint. */
export async function signOut(settings: OidcSettings): Promise<void> {
  sessionStorage.removeItem(TOKENS);
  const logout = (await endpoints(settings)).logout;
  if (!logout) return location.assign('/');
  const url = new URL(logout);
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('logout_uri', redirectUri());
  url.searchParams.set('post_logout_redirect_uri', redirectUri());
  location.assign(url.toString());
}
