import * as events from 'aws-cdk-lib/aws-events';

/**
 * The bodies that notifications carry, as EventBridge input templates: the
 * event's fields placed into a chat message by EventBridge itself, so no
 * function of ours sits between the event and the chat (docs/notifications.md).
 *
 * Every variable stands inside a JSON string, where EventBridge inserts the
 * value as string content, escaped; a field the event lacks (no
 * previousRevision on a first sync, no error on success) becomes an empty
 * string. Templates cannot branch, so each wording reads well with any field
 * empty. The one exception is the webhook body's `detail`, the whole object.
 */

/** The variables the templates use, by the event path each one reads. */
export const NOTIFICATION_INPUT_PATHS = {
  id: '$.id',
  time: '$.time',
  type: '$.detail-type',
  app: '$.detail.app',
  project: '$.detail.project',
  cluster: '$.detail.cluster',
  revision: '$.detail.revision',
  previousRevision: '$.detail.previousRevision',
  status: '$.detail.status',
  health: '$.detail.health',
  message: '$.detail.message',
  error: '$.detail.error',
  detail: '$.detail',
} as const;

type Variable = keyof typeof NOTIFICATION_INPUT_PATHS;

/** A variable inside a string; `template()` turns it into EventBridge's `<name>`. */
const v = (name: Exclude<Variable, 'detail'>): string => `{{${name}}}`;
/** A variable that is a whole JSON value (an object), inserted as it is. */
const whole = (name: 'detail'): string => `{{{${name}}}}`;

/** The revision change; on a first sync there is no previous one, and `→ abc` still reads right. */
const revisionChange = `${v('previousRevision')} → ${v('revision')}`;
/** Why: the health or rollback message, then the error (either, both or neither may be set). */
const reason = `${v('message')}\n${v('error')}`;

/** An input template with exactly the variables it uses in its paths map. */
export class NotificationInput extends events.RuleTargetInput {
  /** The template as EventBridge reads it, with `<name>` variables. */
  readonly template: string;
  readonly inputPathsMap: Record<string, string>;

  constructor(template: string, inputPathsMap: Record<string, string>) {
    super();
    this.template = template;
    this.inputPathsMap = inputPathsMap;
  }

  bind(): events.RuleTargetInputProperties {
    return { inputTemplate: this.template, inputPathsMap: this.inputPathsMap };
  }
}

/**
 * The JSON of a body with `{{name}}` marks turned into variables. EventBridge
 * reads `<` and `>` as variable delimiters and cannot escape them, so none of
 * the fixed text uses them.
 */
function template(body: unknown): NotificationInput {
  const used = new Set<Variable>();
  const variable = (_: string, name: Variable) => {
    used.add(name);
    return `<${name}>`;
  };
  const text = JSON.stringify(body)
    .replace(/"\{\{\{(\w+)\}\}\}"/g, variable)
    .replace(/\{\{(\w+)\}\}/g, variable);
  const paths = Object.fromEntries([...used].sort().map((n) => [n, NOTIFICATION_INPUT_PATHS[n]]));
  return new NotificationInput(text, paths);
}

/**
 * Slack incoming webhooks: one `text` in Slack's mrkdwn. Plain text rather
 * than blocks, whose sections refuse more than 3,000 characters (an error
 * message can be longer); `text` takes 40,000.
 */
export function slackMessage(): NotificationInput {
  return template({
    text: [
      `*${v('type')}*: ${v('app')}`,
      `*Project:* ${v('project')}   *Cluster:* ${v('cluster')}`,
      `*Revision:* ${revisionChange}`,
      `*Status:* ${v('status')}   *Health:* ${v('health')}`,
      reason,
    ].join('\n'),
  });
}

/**
 * Microsoft Teams Workflows webhooks ("When a Teams webhook request is
 * received"): an Adaptive Card in a message's attachments. Workflows do not
 * take the MessageCard format of the retired Office 365 connectors.
 */
export function teamsMessage(): NotificationInput {
  const fact = (title: string, value: string) => ({ title, value });
  return template({
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              size: 'Medium',
              weight: 'Bolder',
              text: `${v('type')}: ${v('app')}`,
              wrap: true,
            },
            {
              type: 'FactSet',
              facts: [
                fact('Project', v('project')),
                fact('Cluster', v('cluster')),
                fact('Revision', revisionChange),
                fact('Status', v('status')),
                fact('Health', v('health')),
              ],
            },
            // Two newlines: a paragraph break in a TextBlock's markdown.
            { type: 'TextBlock', text: `${v('message')}\n\n${v('error')}`, wrap: true },
          ],
        },
      },
    ],
  });
}

/**
 * Any HTTPS endpoint: what local mode's `--notify` posts (source,
 * detail-type and the whole detail, as an object), with EventBridge's id and
 * time of the event.
 */
export function webhookMessage(): NotificationInput {
  return template({
    source: 'driftless',
    'detail-type': v('type'),
    id: v('id'),
    time: v('time'),
    detail: whole('detail'),
  });
}

/**
 * SNS: the custom notification format of Amazon Q Developer in chat
 * applications, which renders `title` and `description` (client-markdown) in
 * Slack, Teams or Chime; email subscribers get the same JSON. No emphasis in
 * the markdown: Slack's and Teams' differ.
 */
export function snsMessage(): NotificationInput {
  return template({
    version: '1.0',
    source: 'custom',
    id: v('id'),
    content: {
      textType: 'client-markdown',
      title: `${v('type')}: ${v('app')}`,
      description: [
        `Project: ${v('project')} · Cluster: ${v('cluster')}`,
        `Revision: ${revisionChange}`,
        `Status: ${v('status')} · Health: ${v('health')}`,
        reason,
      ].join('\n'),
      keywords: [v('project'), v('cluster')],
    },
    metadata: {
      eventType: v('type'),
      summary: `${v('type')}: ${v('app')} on ${v('cluster')}`,
    },
  });
}
