import type { ContainerInspection } from './engine.js';

/** The fields of the Engine API's `GET /containers/{id}/json` that inspectionOf reads (dockerode's type fits). */
export interface EngineInspectJson {
  readonly Id: string;
  readonly Name: string;
  /** The local image id. */
  readonly Image?: string;
  readonly RestartCount?: number;
  readonly State: {
    readonly Status: string;
    readonly ExitCode?: number;
    readonly OOMKilled?: boolean;
    readonly StartedAt?: string;
    readonly Health?: {
      readonly Status: string;
      readonly FailingStreak?: number;
      readonly Log?: ReadonlyArray<{
        readonly ExitCode?: number;
        readonly Output?: string;
        readonly Start?: string;
        readonly End?: string;
      }> | null;
    } | null;
  };
  readonly Config: {
    readonly Image?: string;
    readonly Labels?: Readonly<Record<string, string>> | null;
    readonly StopTimeout?: number | null;
  };
}

/** The engine's "never started" time. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Projects an Engine API inspect onto the port's ContainerInspection. Pure. */
export function inspectionOf(json: EngineInspectJson): ContainerInspection {
  const health = json.State.Health ?? undefined;
  const startedAt = json.State.StartedAt;
  return {
    id: json.Id,
    name: json.Name.replace(/^\//, ''),
    status: json.State.Status,
    exitCode: json.State.ExitCode ?? 0,
    oomKilled: json.State.OOMKilled ?? false,
    startedAt: startedAt === undefined || startedAt === '' || startedAt === ZERO_TIME ? undefined : startedAt,
    restartCount: json.RestartCount ?? 0,
    labels: { ...json.Config.Labels },
    image: json.Config.Image,
    imageId: json.Image,
    stopTimeoutSeconds: json.Config.StopTimeout ?? undefined,
    health: health
      ? {
          status: health.Status,
          failingStreak: health.FailingStreak ?? 0,
          log: (health.Log ?? []).map((probe) => ({
            exitCode: probe.ExitCode ?? 0,
            output: probe.Output ?? '',
            start: probe.Start,
            end: probe.End,
          })),
        }
      : undefined,
  };
}
