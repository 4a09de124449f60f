import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { handleApi } from '../../shared/api/handle-api.ts';
import { loadConfigDir } from '../../shared/config/load.ts';
import { connectCluster } from '../../shared/kube/connect.ts';
import { dryRunDiff } from '../../shared/api/dry-run-diff.ts';
import { liveObjects } from '../../shared/api/live-objects.ts';
import { functionProjectRoles } from '../../shared/runtime/project-roles.ts';
import type { EventPublisher } from '../../shared/observability/events.ts';
import { LocalReconcileQueue } from '../../shared/queue/local-queue.ts';
import { messageSubject } from '../../shared/queue/message.ts';
import { describeOutcome, outcomeLines } from '../../shared/worker/describe-outcome.ts';
import { processMessage } from '../../shared/worker/process-message.ts';
import { CloudWatchAlarmSource } from '../../shared/rollback/alarms.ts';
import { webhookDeps } from '../../shared/runtime/webhook-deps.ts';
import { runSchedule } from '../../shared/scheduler/run-schedule.ts';
import { handleWebhook, MAX_BODY_BYTES } from '../../shared/webhooks/index.ts';
import { COMMON_OPTIONS, parse, parseDuration } from '../args.ts';
import { cliSettings } from '../context.ts';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import { shortSha } from '../output.ts';
import { answerClientError } from '../serve-client-error.ts';
import { serveForge, serveNotifiers } from '../serve-forge.ts';
import { serveGuard, type ServeGuard } from '../serve-guard.ts';
import { serveLogin } from '../serve-login.ts';
import { loadUiFiles } from '../serve-ui-files.ts';
import { SECURITY_HEADERS, uiRoutes, type UiRoutes } from '../serve-ui-routes.ts';
import { createServeSecret, serveSecretFile } from '../serve-secret.ts';
import { DEFAULT_STATE_DIR, openState, publishSocket } from '../state-store.ts';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function send(
  res: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  res
    .writeHead(statusCode, { ...SECURITY_HEADERS, 'content-type': 'application/json', ...headers })
    .end(`${JSON.stringify(body)}\n`);
}

export async function serveCommand(argv: string[]): Promise<ExitCode> {
  const { values } = parse('serve', argv, {
    ...COMMON_OPTIONS,
    config: { type: 'string', short: 'c' },
    interval: { type: 'string', default: '3m' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    workers: { type: 'string', default: '4' },
    'webhook-secret': { type: 'string' },
    'forge-credentials': { type: 'string' },
    'app-url': { type: 'string' },
    'preview-forks': { type: 'boolean', default: false },
    notify: { type: 'string', multiple: true },
  });
  if (!values.config) throw new CliError('driftless serve: --config DIR is required');
  const configDir = resolve(values.config);
  loadConfigDir(configDir);
  const intervalMs = parseDuration('--interval', values.interval);
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1)
    throw new CliError(`--workers must be a positive integer, got "${values.workers}"`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port must be a port number, got "${values.port}"`);
  const webhookSecret = values['webhook-secret'] ?? process.env.DRIFTLESS_WEBHOOK_SECRET;

  const stateDir = resolve(values.state ?? DEFAULT_STATE_DIR);
  const state = await openState({ ...values, 'no-state': false }, { create: true });
  if (!state) throw new CliError('serve needs state', EXIT.failed);
  if (!state.socket) {
    // Its API secret is in the folder: a second serve would replace it.
    await state.close();
    throw new CliError(
      `the state folder ${stateDir} is served by another driftless serve; stop it, or use --state with another folder`,
      EXIT.failed,
    );
  }
  const unpublish = publishSocket(stateDir, state.socket);
  const apiSecret = createServeSecret(stateDir);
  const settings = cliSettings(values['cache-dir']);
  const notifiers = serveNotifiers(values.notify ?? [], log);
  const events: EventPublisher = {
    publish: async (list) => {
      for (const e of list)
        log(
          `[event] ${e.detailType}: ${e.detail.app} ${shortSha(e.detail.revision)}${e.detail.error ? ` (${e.detail.error.split('\n')[0]})` : ''}`,
        );
      await Promise.all(notifiers.map((n) => n.publish(list)));
    },
  };
  const forge = serveForge({
    credentialsFile: values['forge-credentials'] ?? process.env.DRIFTLESS_FORGE_CREDENTIALS_FILE,
    appUrl: values['app-url'],
    log,
  });
  // Rollback policies' alarms are CloudWatch's: read them only where an AWS
  // region is configured (credentials from the usual chain); otherwise an
  // application naming alarms shows that it cannot read them.
  const alarms =
    process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION
      ? new CloudWatchAlarmSource(new CloudWatchClient({}))
      : undefined;
  const projectRoles = functionProjectRoles();
  const queue: LocalReconcileQueue = new LocalReconcileQueue({
    workers,
    retryDelayMs: 2_000,
    process: async (body) => {
      const outcome = await processMessage(body, `serve/${randomUUID()}`, {
        table: state.table,
        settings,
        connect: connectCluster,
        projectRoles,
        events,
        alarms,
        ...forge.deps,
      });
      const report = describeOutcome(outcome);
      const tag = report.kind === 'rollout' ? '[rollout]' : '[reconcile]';
      for (const line of outcomeLines(report)) log(`${tag} ${line}`);
      return outcome.kind === 'retry' ? outcome : 'done';
    },
    onDeadLetter: (m, attempts) =>
      log(`[reconcile] ${messageSubject(m)}: gave up after ${attempts} attempts`),
  });

  const tick = async (): Promise<void> => {
    try {
      const report = await runSchedule(loadConfigDir(configDir), {
        table: state.table,
        queue,
        jitterSeconds: 0,
      });
      for (const d of report.disabled) log(`[schedule] ${d.name} disabled: ${d.error}`);
      for (const u of report.unattributed) log(`[schedule] ${u.file}: ${u.error}`);
      log(
        `[schedule] ${report.enqueued.length} application(s) enqueued${report.suspended.length ? `, ${report.suspended.length} suspended` : ''}`,
      );
    } catch (err) {
      log(`[schedule] failed: ${(err as Error).message}`);
    }
  };

  const hooks = webhookDeps({
    table: state.table,
    queue,
    previews: forge.deps.forges !== undefined,
    previewForks: values['preview-forks'],
    secret: async () => webhookSecret,
    log: (event, fields) => log(`[webhook] ${event} ${JSON.stringify(fields)}`),
  });
  const handle =
    (guard: ServeGuard, ui: UiRoutes) => (req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        try {
          const webhook =
            req.method === 'POST' &&
            (url.pathname === '/webhook' || url.pathname.startsWith('/webhooks/'));
          // Webhooks carry their provider's signature instead of the secret,
          // /healthz tells nothing, and the UI's pages and assets are the same
          // for everyone (its page needs a session; its data is the API's).
          const foreign = guard.refuseForeign(req.headers);
          if (!foreign && !webhook && (await ui.handle(req, res, url.pathname))) return;
          const refusal =
            foreign ??
            (webhook || url.pathname === '/healthz'
              ? undefined
              : guard.refuseWithoutSecret(req.headers));
          if (refusal) {
            log(
              `[serve] refused ${refusal.statusCode} ${req.method} ${url.pathname}${url.search}: ${refusal.message}`,
            );
            return send(
              res,
              refusal.statusCode,
              { message: refusal.message },
              refusal.statusCode === 401 ? { 'www-authenticate': 'Bearer' } : {},
            );
          }
          if (webhook) {
            const body = await readBody(req, MAX_BODY_BYTES);
            if (!body)
              return send(res, 413, { message: `payload larger than ${MAX_BODY_BYTES} bytes` });
            const headers = Object.fromEntries(
              Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
            );
            const response = await handleWebhook({ headers, body }, hooks);
            log(`[webhook] ${response.statusCode} ${response.body.message}`);
            return send(res, response.statusCode, response.body);
          }
          if (url.pathname === '/healthz') return send(res, 200, { ok: true });
          const body = await readBody(req, 64 * 1024);
          const response = await handleApi(
            {
              method: req.method ?? 'GET',
              path: url.pathname,
              query: Object.fromEntries(url.searchParams),
              ...(body?.length ? { body: body.toString('utf8') } : {}),
              caller: 'local',
              requestId: randomUUID(),
              ...(req.headers['if-none-match']
                ? { ifNoneMatch: req.headers['if-none-match'] }
                : {}),
            },
            {
              table: state.table,
              queue,
              diff: dryRunDiff(settings, connectCluster, projectRoles),
              liveObjects: liveObjects(connectCluster, projectRoles),
              ...(alarms ? { alarms } : {}),
            },
          );
          if (response.statusCode === 304) return void res.writeHead(304, response.headers).end();
          return send(res, response.statusCode, response.body, response.headers);
        } catch (err) {
          return send(res, 500, { message: (err as Error).message });
        }
      })();
    };
  const server = createServer();
  server.on('clientError', answerClientError);
  await new Promise<void>((ok, fail) => {
    server.once('error', (err) =>
      fail(new CliError(`cannot listen on ${values.host}:${port}: ${err.message}`, EXIT.failed)),
    );
    server.listen(port, values.host, () => ok());
  }).catch(async (err) => {
    apiSecret.remove();
    unpublish();
    await state.close();
    throw err;
  });
  const address = server.address() as AddressInfo;
  forge.listening(address.address, address.port);
  // The Host check needs the port, known only now with --port 0. Requests
  // are read on a later turn of the event loop, so none arrives unhandled.
  const login = serveLogin({ port: address.port, secret: apiSecret.secret });
  const uiFiles = loadUiFiles();
  server.on(
    'request',
    handle(
      serveGuard({
        listenHost: values.host,
        port: address.port,
        secret: apiSecret.secret,
        secretFile: serveSecretFile(stateDir),
        hasSession: login.hasSession,
      }),
      uiRoutes(uiFiles, login),
    ),
  );
  log(
    `[serve] listening on http://${address.address}:${address.port} (webhooks: /webhooks/<provider>${webhookSecret ? '' : ', no secret set: all deliveries will be refused'}; API: Authorization: Bearer <contents of ${serveSecretFile(stateDir)}>); state in ${state.where}; schedule every ${values.interval}`,
  );
  // The code rides in the fragment, which browsers never send: it reaches no
  // request line, log or Referer, and the page trades it once for a cookie.
  log(
    uiFiles
      ? `[serve] web UI: http://${address.address}:${address.port}/login#${login.newCode()} (a one-time link)`
      : '[serve] web UI not built (npm run build): serving the API only',
  );

  // Listened for before the first tick: Ctrl-C during it still cleans up.
  const stopping = new Promise<string>((resolveStop) => {
    process.once('SIGINT', () => resolveStop('SIGINT'));
    process.once('SIGTERM', () => resolveStop('SIGTERM'));
  });
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const first = tick().then(() => {
    if (!stopped) timer = setInterval(() => void tick(), intervalMs);
  });
  log(`[serve] ${await stopping}: stopping (waiting for running reconciles)`);
  stopped = true;
  clearInterval(timer);
  await first;
  server.closeAllConnections();
  await new Promise<void>((ok) => server.close(() => ok()));
  await queue.stop();
  await forge.flush();
  apiSecret.remove();
  unpublish();
  await state.close();
  log('[serve] stopped');
  return EXIT.ok;
}
