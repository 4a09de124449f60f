/** How the UI signs in where the construct hosts it (cdk/web-ui.ts writes /config.json). */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  scopes: string[];
  /** Given for Cognito; read from the issuer's discovery document otherwise. */
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  logoutEndpoint?: string;
}

/**
 * Where the API is and how to reach it: beside `driftless serve` (same
 * origin, its session cookie), or on AWS (another origin, a bearer token
 * from the team's OIDC provider).
 */
export type UiConfig = { mode: 'local' } | { mode: 'oidc'; apiUrl: string; oidc: OidcSettings };

function isOidcConfig(value: unknown): value is { apiUrl: string; oidc: OidcSettings } {
  const v = value as {
    apiUrl?: unknown;
    oidc?: { issuer?: unknown; clientId?: unknown; scopes?: unknown };
  };
  return (
    typeof v?.apiUrl === 'string' &&
    typeof v.oidc?.issuer === 'string' &&
    typeof v.oidc.clientId === 'string' &&
    Array.isArray(v.oidc.scopes)
  );
}

/**
 * `/config.json` when the construct deployed one; serve has none (it answers
 * 404), and then the API is this origin. A config.json that is there but
 * malformed is an error, not a silent fallback to the wrong API.
 */
export async function loadConfig(): Promise<UiConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (response.status === 404 || response.status === 401) return { mode: 'local' };
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok || !isOidcConfig(body))
    throw new Error(`/config.json is not a Driftless UI configuration (HTTP ${response.status})`);
  return { mode: 'oidc', apiUrl: body.apiUrl, oidc: body.oidc };
}
