/** What verification reads of one container: a pure projection of `GET /containers/{id}/json`. */
export type Observation =
  | { readonly name: string; readonly exists: false }
  | {
      readonly name: string;
      readonly exists: true;
      readonly id: string;
      /** State.Status: created|running|paused|restarting|removing|exited|dead. */
      readonly status: string;
      readonly exitCode: number;
      readonly oomKilled: boolean;
      /** Top-level RestartCount (not in State). */
      readonly restartCount: number;
      readonly labels: Readonly<Record<string, string>>;
      /** undefined: the container has no healthcheck. */
      readonly health:
        | {
            readonly status: string;
            readonly failingStreak: number;
            /** Exit code of the newest probe (its output is not kept: it may print env values). */
            readonly lastExitCode: number | undefined;
          }
        | undefined;
    };

/** The inspect fields observationFromInspect reads (dockerode's ContainerInspectInfo fits). */
export interface InspectLike {
  readonly Id: string;
  readonly Name: string;
  readonly RestartCount?: number;
  readonly State: {
    readonly Status: string;
    readonly ExitCode?: number;
    readonly OOMKilled?: boolean;
    readonly Health?: {
      readonly Status: string;
      readonly FailingStreak?: number;
      readonly Log?: ReadonlyArray<{ readonly ExitCode?: number }> | null;
    } | null;
  };
  readonly Config: { readonly Labels?: Readonly<Record<string, string>> | null };
}

export function observationFromInspect(inspect: InspectLike): Observation {
  const health = inspect.State.Health ?? undefined;
  const log = health?.Log ?? [];
  return {
    name: inspect.Name.replace(/^\//, ''),
    exists: true,
    id: inspect.Id,
    status: inspect.State.Status,
    exitCode: inspect.State.ExitCode ?? 0,
    oomKilled: inspect.State.OOMKilled ?? false,
    restartCount: inspect.RestartCount ?? 0,
    labels: { ...inspect.Config.Labels },
    health: health
      ? {
          status: health.Status,
          failingStreak: health.FailingStreak ?? 0,
          lastExitCode: log.length > 0 ? log[log.length - 1]?.ExitCode : undefined,
        }
      : undefined,
  };
}

export function missingObservation(name: string): Observation {
  return { name, exists: false };
}
