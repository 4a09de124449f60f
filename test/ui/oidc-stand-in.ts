import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadUiFiles } from '../../cli/serve-ui-files.ts';
import { SECURITY_HEADERS } from '../../cli/serve-ui-routes.ts';

/** What the stand-in saw: the sign-in requests and the tokens the API was sent. */
export interface OidcRecord {
  authorizations: URLSearchParams[];
  tokenRequests: URLSearchParams[];
  apiAuthorizations: string[];
}

export interface OidcStandIn {
  base: string;
  record: OidcRecord;
  stop(): Promise<void>;
}

const CLIENT = 'ui-client';
export const ID_TOKEN = 'id-token-1';

async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req as AsyncIterable<Buffer>) text += chunk.toString();
  return text;
}

/**
 * The web UI as the construct hosts it, on one local origin: the built
 * files with a /config.json, an OIDC provider (discovery, authorize, token)
 * that checks PKCE as Cognito does, and a stand-in for the browser API that
 * answers only the token it issued. Cognito and API Gateway cannot run
 * locally; the UI's side of the flow is what is under test.
 */
export async function startOidcStandIn(apps: unknown[]): Promise<OidcStandIn> {
  const files = loadUiFiles();
  if (!files) throw new Error('the web UI is not built (dist/ui)');
  const record: OidcRecord = { authorizations: [], tokenRequests: [], apiAuthorizations: [] };
  const challenges = new Map<string, { challenge: string; redirect: string }>();
  let base = '';
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', base);
      const json = (status: number, body: unknown) =>
        res
          .writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json' })
          .end(JSON.stringify(body));
      if (url.pathname === '/config.json')
        return json(200, {
          apiUrl: `${base}/api/`,
          oidc: { issuer: `${base}/idp`, clientId: CLIENT, scopes: ['openid', 'email'] },
        });
      if (url.pathname === '/idp/.well-known/openid-configuration')
        return json(200, {
          authorization_endpoint: `${base}/idp/authorize`,
          token_endpoint: `${base}/idp/token`,
        });
      if (url.pathname === '/idp/authorize') {
        record.authorizations.push(url.searchParams);
        const code = `code-${record.authorizations.length}`;
        challenges.set(code, {
          challenge: url.searchParams.get('code_challenge') ?? '',
          redirect: url.searchParams.get('redirect_uri') ?? '',
        });
        const back = new URL(url.searchParams.get('redirect_uri')!);
        back.search = new URLSearchParams({
          code,
          state: url.searchParams.get('state') ?? '',
        }).toString();
        return res.writeHead(302, { location: back.toString() }).end();
      }
      if (url.pathname === '/idp/token' && req.method === 'POST') {
        const form = new URLSearchParams(await bodyOf(req));
        record.tokenRequests.push(form);
        const issued = challenges.get(form.get('code') ?? '');
        challenges.delete(form.get('code') ?? '');
        const verified =
          issued &&
          form.get('client_id') === CLIENT &&
          form.get('redirect_uri') === issued.redirect &&
          createHash('sha256')
            .update(form.get('code_verifier') ?? '')
            .digest('base64url') === issued.challenge;
        if (!verified)
          return json(400, {
            error: 'invalid_grant',
            error_description: 'PKCE or code check failed',
          });
        return json(200, { id_token: ID_TOKEN, expires_in: 3600, token_type: 'Bearer' });
      }
      if (url.pathname.startsWith('/api/')) {
        record.apiAuthorizations.push(req.headers.authorization ?? '');
        if (req.headers.authorization !== `Bearer ${ID_TOKEN}`)
          return json(401, { message: 'Unauthorized' });
        return url.pathname === '/api/apps'
          ? json(200, { apps })
          : json(404, { message: 'no route' });
      }
      const file = files.get(url.pathname === '/' ? '/index.html' : url.pathname);
      if (!file) return json(404, { message: 'not found' });
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.contentType }).end(file.body);
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, record, stop: () => new Promise((ok) => server.close(() => ok())) };
}
