/** Each command's help text, apart from the commands so `help` loads none of them. */

export const DIFF_USAGE = `driftless diff (-f app.yaml | --app NAME --config DIR) [options]

Renders the application and shows, per object, what a sync would change.
Secret values are masked. Nothing is written.

  --revision REV        compare this branch, tag or commit instead of the spec's
  --destination CLUSTER one destination of a rollout application (spec.destinations)
  --exit-code           exit 1 when the cluster differs from Git
  -o, --output json     print the result as JSON
  --kubeconfig FILE, --context NAME, --eks-cluster NAME --region R [--role-arn ARN]
  --state DIR | --table NAME | --no-state   where the last sync's inventory is (for prune preview)
  --cache-dir DIR       Git cache, mode 0700 (default: $XDG_CACHE_HOME/driftless or ~/.cache/driftless)

Private repositories: DRIFTLESS_GIT_PASSWORD (a token) and DRIFTLESS_GIT_USERNAME
are sent only to repositories under DRIFTLESS_GIT_URL (an origin or URL prefix),
and never over plain http:// except to loopback.`;

export const HISTORY_USAGE = `driftless history NAME [--state DIR | --table NAME] [-o json]

Shows the application's syncs, newest first (the last 50 are kept); for a
rollout, one history per destination.`;

export const ROLLBACK_USAGE = `driftless rollback NAME [REVISION] [--seq N] [--state DIR | --table NAME] [-o json]

Re-syncs an earlier revision from the history: the one given (a commit SHA or
its prefix), history entry N, or by default the newest successful sync of a
revision other than the current one.`;

export const SERVE_USAGE = `driftless serve --config DIR [options]

Local mode: the scheduler, the webhook endpoint, the API and reconciler
workers in one process, with state in a local folder. Ctrl-C stops it.

  -c, --config DIR         folder with Application and Cluster files (re-read every tick)
  --interval DURATION      schedule interval (default 3m)
  --port N, --host ADDR    HTTP listen address (default 127.0.0.1:8080; 0 picks a free port)
  --workers N              reconciles at once (default 4)
  --webhook-secret TEXT    shared secret for all providers (or DRIFTLESS_WEBHOOK_SECRET)
  --state DIR              state folder (default .driftless/state)
  --forge-credentials FILE forge tokens by repository URL prefix, as in the AWS secret
                           (or DRIFTLESS_FORGE_CREDENTIALS_FILE): commit statuses and
                           pull-request previews; see docs/forge.md
  --app-url TEMPLATE       the link in commit statuses, with {app}
                           (default: this server's UI, http://HOST:PORT/#/apps/{app})
  --preview-forks          preview pull requests from forks too (default: off; their
                           comments never carry diffs)
  --notify URL             post each event's JSON to URL (https, or http to loopback);
                           repeat for several

HTTP: POST /webhooks/{github|gitlab|bitbucket|gitea} (push and pull-request
events), GET /apps, GET /apps/NAME,
GET /apps/NAME/diff, POST /apps/NAME/sync, GET /apps/NAME/history,
POST /apps/NAME/rollback, POST /apps/NAME/suspend, POST /apps/NAME/resume.
The API asks for "Authorization: Bearer <contents of STATE/api-secret>", a
new secret each run; requests from web pages (another Host or Origin) are
refused.

Alarms named in rollback policies are read from CloudWatch when AWS_REGION
(or AWS_DEFAULT_REGION) is set, with credentials from the usual AWS chain.`;

export const STATUS_USAGE = `driftless status [NAME] [--state DIR | --table NAME] [-o json]

Lists applications with their sync status, health and last result.`;

export const SUSPEND_USAGE = `driftless suspend NAME [--reason TEXT]   stop scheduled and webhook syncs
driftless resume NAME                    start them again`;

export const SYNC_USAGE = `driftless sync (-f app.yaml | --app NAME --config DIR) [options]

Applies the application to its cluster: staged server-side apply of what
changed, prune of what was removed (with --prune or the app's policy), then
waits for health. Records state and history (see --state/--table).

  --dry-run             show what would change, apply nothing
  --prune               delete objects removed from Git (overrides the app's policy)
  --timeout DURATION    bound on applying and on waiting for health (default: the app's healthTimeout)
  --no-wait             return once applied, reporting health as it is then (as kubectl apply does)
  --revision REV        sync this branch, tag or commit instead of the spec's
  -q, --quiet           no progress lines
  -o, --output json     print the result as JSON
  --kubeconfig FILE, --context NAME, --eks-cluster NAME --region R [--role-arn ARN]
  --state DIR | --table NAME | --no-state   (default state: .driftless/state)
  --cache-dir DIR       Git cache

Private repositories: DRIFTLESS_GIT_PASSWORD (a token) and DRIFTLESS_GIT_USERNAME
are sent only to repositories under DRIFTLESS_GIT_URL (an origin or URL prefix),
and never over plain http:// except to loopback.`;
