import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NotifyEvent, NotifyTarget } from '@stow/manifest';
import type { ApplyTarget, ReconcileOutcome } from '@stow/reconciler';
import { type BackgroundQueue, backgroundQueue } from './background-queue.js';
import type { CoreObserver, ReconcileRecord } from './daemon-core.js';
import type { DaemonLogger } from './logger.js';
import { isFailureEvent, jsonBody, type NotifyFacts, notifyEventsOf, slackBody } from './notify-event.js';
import { statusPageUrl } from './status-url.js';

export interface NotifierOptions {
  readonly targets: readonly NotifyTarget[];
  /** `<stateDir>/.stow/notifications.json`: what was sent, so a restart never sends it again. */
  readonly stateFile: string;
  /** daemon.yaml's subfolder: the host as the deployment repository names it. */
  readonly host: string;
  readonly listenUrl: () => string;
  readonly logger: DaemonLogger;
  /** Per attempt (default 5 s), attempts per notification (default 4), first backoff (default 1 s, doubling). */
  readonly timeoutMs?: number;
  readonly attempts?: number;
  readonly backoffMs?: number;
  /** Notifications waiting per receiver beyond which new ones are dropped (default 50). */
  readonly maxQueued?: number;
  readonly now?: () => Date;
}

export interface Notifier {
  readonly observer: CoreObserver;
  /** Reads what was sent before a restart (a missing or unreadable file starts afresh). */
  load(): Promise<void>;
  /** Resolves once every queued notification was delivered or given up (tests, shutdown). */
  idle(): Promise<void>;
}

/** What the notifier remembers on disk. */
interface Memory {
  /** The last event was a failure: the next converge is `recovered`. */
  failing: boolean;
  /** `<deployment hash>|<event>` already sent, newest last (bounded). */
  sent: string[];
}

const MAX_REMEMBERED = 500;

/**
 * Tells webhooks about changes of outcome (issue 15): rolled back, rollback failed, recovered... once
 * per deployment hash and event, ever (remembered in the state directory across restarts). Each
 * receiver has its own bounded queue; each delivery has a timeout and a few retries with backoff,
 * so a slow or dead receiver delays nothing but its own later notifications. Bodies carry the host,
 * deployment, commit, outcome, reason and status page, never a secret; receiver URLs are secrets and
 * are never logged (a receiver is named by its position in `notify:`).
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const { logger, targets } = options;
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 5_000;
  const attempts = options.attempts ?? 4;
  const backoffMs = options.backoffMs ?? 1_000;
  const memory: Memory = { failing: false, sent: [] };
  const applying = new Map<string, ApplyTarget>();
  const queues: BackgroundQueue[] = targets.map((_, index) =>
    backgroundQueue({
      maxQueued: options.maxQueued ?? 50,
      onDrop: () =>
        logger.log('warn', `notify receiver ${index + 1} is falling behind; dropped a notification`, {}),
    }),
  );
  let saving: Promise<void> = Promise.resolve();

  const save = () => {
    const text = `${JSON.stringify(memory)}\n`;
    saving = saving
      .then(async () => {
        await mkdir(path.dirname(options.stateFile), { recursive: true, mode: 0o700 });
        const temporary = `${options.stateFile}.tmp`;
        await writeFile(temporary, text, { mode: 0o600 });
        await rename(temporary, options.stateFile);
      })
      .catch((error: unknown) =>
        logger.log('warn', 'could not remember the notifications sent; a restart may send them again', {
          reason: logger.redact(error instanceof Error ? error.message : String(error)),
        }),
      );
    return saving;
  };

  const deliver = async (target: NotifyTarget, index: number, facts: NotifyFacts) => {
    const body = target.format === 'slack' ? slackBody(facts) : jsonBody(facts);
    const receiver = `notify receiver ${index + 1} (${target.format})`;
    let failure = '';
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      if (attempt > 1) await sleep(backoffMs * 2 ** (attempt - 2));
      try {
        const response = await fetch(target.url.reveal(), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body?.cancel().catch(() => undefined);
        if (response.ok) return;
        failure = `HTTP ${response.status}`;
        // A 4xx other than 429 will not change on retry (a revoked or mistyped webhook).
        if (response.status < 500 && response.status !== 429) break;
      } catch (error) {
        failure = describeFetchError(error);
      }
    }
    logger.log('warn', `${receiver} did not take the ${facts.event} notification`, {
      reason: logger.redact(failure),
      attempts,
    });
  };

  return {
    async load() {
      try {
        const parsed = JSON.parse(await readFile(options.stateFile, 'utf8')) as Partial<Memory>;
        memory.failing = parsed.failing === true;
        memory.sent = Array.isArray(parsed.sent) ? parsed.sent.filter((k) => typeof k === 'string') : [];
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          logger.log(
            'warn',
            `${options.stateFile} is unreadable; starting with no notifications remembered`,
            {
              reason: logger.redact(error instanceof Error ? error.message : String(error)),
            },
          );
        }
      }
    },
    async idle() {
      await saving;
      await Promise.all(queues.map((queue) => queue.idle()));
    },
    observer: {
      reconcileApplying(record: ReconcileRecord, target: ApplyTarget) {
        applying.set(record.id, target);
      },
      reconcileFinished(record: ReconcileRecord, outcome: ReconcileOutcome) {
        const target = applying.get(record.id);
        applying.delete(record.id);
        const events = notifyEventsOf(outcome, memory.failing);
        if (events.length === 0) return;
        memory.failing = events.some(isFailureEvent);
        const deploymentHash = record.targetDeploymentHash ?? null;
        const keyOf = (event: string) => `${deploymentHash}|${event}`;
        const fresh = events.filter((event) => !memory.sent.includes(keyOf(event)));
        memory.sent = [...memory.sent, ...fresh.map(keyOf)].slice(-MAX_REMEMBERED);
        // Remembered before it is sent: a crash in between loses a notification, never doubles one.
        // Saved even when nothing is new: `failing` may have changed.
        void save();
        if (fresh.length === 0) return;
        const commit = record.targetGitRevision ?? null;
        const facts = (event: NotifyEvent): NotifyFacts => ({
          event,
          outcome: outcome.kind,
          host: options.host,
          hostname: os.hostname(),
          deployment: target?.deploymentName ?? null,
          deploymentHash,
          commit,
          reason: record.reason === undefined ? null : logger.redact(record.reason),
          statusUrl: statusPageUrl(target?.daemonBaseUrl ?? options.listenUrl(), commit),
          reconcileId: record.id,
          time: now().toISOString(),
        });
        targets.forEach((notifyTarget, index) => {
          // The most specific event this receiver listens to; if that one was told already, nothing.
          const event = events.find((e) => notifyTarget.events.includes(e));
          if (!event || !fresh.includes(event)) return;
          queues[index]?.push(() => deliver(notifyTarget, index, facts(event)));
        });
      },
    },
  };
}

/** A fetch failure in words, without the URL (it is a secret). */
function describeFetchError(error: unknown): string {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timed out';
  const cause = (error as { cause?: { code?: string } } | null)?.cause;
  return cause?.code ? `connection failed (${cause.code})` : 'request failed';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
