import { z } from 'zod';
import { deploymentPathProblem } from './deployment-path.js';
import { isDuration } from './duration.js';

const DEFAULT_LISTEN = '0.0.0.0:17403';
const LISTEN = /^(?:\[[0-9a-fA-F:]+\]|[a-zA-Z0-9.-]+):\d{1,5}$/;
const filePath = z.string().min(1, { error: 'must not be empty' });

/** Keys that make a daemon.yaml recognisable as one (used to tell it from a stow.yaml). */
export const DAEMON_KEYS = [
  'gitlabBase',
  'project',
  'gitlabToken',
  'subfolder',
  'keys',
  'sopsBinary',
  'listen',
  'tlsCrt',
  'tlsKey',
  'pollInterval',
  'stateDir',
  'triggerToken',
  'gitRepository',
  'branch',
  'dockerHost',
  'archiveRequestsPerMinute',
  'gitlabReports',
  'notify',
] as const;

/** Outcome changes a `notify:` receiver can ask for (docs/notifications.md). */
export const NOTIFY_EVENTS = [
  'rolledBack',
  'rollbackFailed',
  'repairFailed',
  'recovered',
  'jobFailed',
  'converged',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];
export const DEFAULT_NOTIFY_EVENTS: readonly NotifyEvent[] = [
  'rolledBack',
  'rollbackFailed',
  'recovered',
  'jobFailed',
];
/** Receivers a daemon.yaml may list: each costs a request per outcome change. */
export const MAX_NOTIFY_TARGETS = 10;

/**
 * What is wrong with a webhook URL, or undefined. https only: the body names hosts and commits, and
 * the URL itself is a credential (a Slack webhook URL is). Plain http is allowed for a receiver on
 * this machine (127.0.0.1, ::1, localhost), where nothing crosses a network. The message never
 * repeats the URL: it is a secret.
 */
export function webhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an https:// URL (the value is not a URL; it is not repeated here because it is a secret)';
  }
  const local = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    return 'must be an https:// URL (http:// only for 127.0.0.1, [::1] or localhost)';
  }
  if (url.username || url.password) {
    return 'must not carry a user or password; put the credential in the URL path or query as the receiver expects';
  }
  return undefined;
}

const notifyTarget = z.strictObject({
  url: z
    .string({ error: 'must be the webhook URL, e.g. https://hooks.slack.com/services/...' })
    .superRefine((value, ctx) => {
      const problem = webhookUrlProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe('the webhook URL (a secret: never logged)'),
  format: z
    .enum(['json', 'slack'], { error: 'must be json or slack' })
    .default('json')
    .describe('json: stow\'s own body; slack: {"text": ...} for a Slack incoming webhook'),
  events: z
    .array(z.enum(NOTIFY_EVENTS, { error: `must be one of ${NOTIFY_EVENTS.join(', ')}` }))
    .min(1, { error: 'must name at least one event (or leave events out for the default)' })
    .default([...DEFAULT_NOTIFY_EVENTS])
    .describe(`outcome changes to send (default ${DEFAULT_NOTIFY_EVENTS.join(', ')})`),
});

export const daemonConfigSchema = z
  .strictObject({
    gitlabBase: z
      .url({ protocol: /^https?$/, error: 'must be the GitLab API URL, e.g. https://git.example.com/api/v4' })
      .optional(),
    project: z.string().min(1).optional().describe('GitLab project path (ops/deployments) or numeric id'),
    gitlabToken: z.string().min(1).optional().describe('project/group/personal access token with read_api'),
    gitRepository: z
      .string()
      .min(1)
      .optional()
      .describe('local git repository path or URL, instead of GitLab'),
    branch: z.string().min(1).optional(),
    subfolder: z.string().superRefine((value, ctx) => {
      const problem = deploymentPathProblem(value);
      if (problem)
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(value)} ${problem.replace('deployment folder', 'repository')}`,
        });
    }),
    keys: filePath.optional().describe('age identities file (SOPS_AGE_KEY_FILE format)'),
    sopsBinary: filePath.optional(),
    listen: z
      .string({ error: 'must be host:port in quotes or plain, e.g. 0.0.0.0:17403' })
      .regex(LISTEN, { error: 'must be host:port, e.g. 0.0.0.0:17403', abort: true })
      .refine((listen) => listenPortOk(listen), { error: 'the port must be between 1 and 65535' })
      .default(DEFAULT_LISTEN),
    tlsCrt: filePath.optional(),
    tlsKey: filePath.optional(),
    pollInterval: z
      .string()
      .refine(isDuration, { error: 'must be a duration such as 5m or 30s' })
      .default('5m'),
    stateDir: filePath.optional(),
    triggerToken: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
    dockerHost: z
      .string()
      .regex(/^(unix|tcp|http|https):\/\//, { error: 'must be unix:///path or tcp://host:port' })
      .optional(),
    archiveRequestsPerMinute: z
      .number({ error: 'must be a whole number of archive downloads a minute, e.g. 5' })
      .int({ error: 'must be a whole number of archive downloads a minute, e.g. 5' })
      .min(1, { error: 'must be at least 1' })
      .max(10_000, { error: 'must be at most 10000' })
      .optional()
      .describe('GitLab archive downloads a minute (GitLab.com allows 5 per user and project); default 5'),
    gitlabReports: z
      .strictObject({
        commitStatus: z
          .boolean({ error: 'must be true or false' })
          .default(true)
          .describe('a commit status stow/<subfolder> on each deployed commit'),
        deployments: z
          .boolean({ error: 'must be true or false' })
          .default(true)
          .describe('a GitLab deployment per applied reconcile'),
      })
      .optional()
      .describe('what the daemon reports to GitLab (needs a token with scope api); both on by default'),
    notify: z
      .array(notifyTarget, { error: 'must be a list of { url, format, events }' })
      .max(MAX_NOTIFY_TARGETS, { error: `must list at most ${MAX_NOTIFY_TARGETS} receivers` })
      .optional()
      .describe('webhooks told about outcome changes (docs/notifications.md)'),
  })
  .superRefine((config, ctx) => {
    const gitlabKeys = (['gitlabBase', 'project', 'gitlabToken'] as const).filter(
      (key) => config[key] !== undefined,
    );
    if (config.gitRepository !== undefined) {
      for (const key of gitlabKeys) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'cannot be combined with gitRepository: choose one source',
        });
      }
    } else if (gitlabKeys.length < 3) {
      const missing = (['gitlabBase', 'project', 'gitlabToken'] as const).filter(
        (key) => config[key] === undefined,
      );
      for (const key of missing) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'is required (or set gitRepository to use a git repository instead of GitLab)',
        });
      }
    }
    if (config.branch !== undefined && config.gitRepository === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['branch'],
        message: 'only applies with gitRepository (GitLab uses its default branch)',
      });
    }
    if (config.gitlabReports !== undefined && config.gitRepository !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['gitlabReports'],
        message: 'only applies with the GitLab source (gitlabBase, project, gitlabToken)',
      });
    }
    if ((config.tlsCrt === undefined) !== (config.tlsKey === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [config.tlsCrt === undefined ? 'tlsCrt' : 'tlsKey'],
        message: 'tlsCrt and tlsKey go together',
      });
    }
  });

export type DaemonConfigInput = z.input<typeof daemonConfigSchema>;

function listenPortOk(listen: string): boolean {
  const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
  return port >= 1 && port <= 65535;
}
