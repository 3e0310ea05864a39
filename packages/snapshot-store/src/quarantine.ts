import { promises as fs } from 'node:fs';
import { writeFileAtomic } from './fs-util.js';

/** A deployment hash that failed; automatic reconciles skip it until a new trigger or commit. */
export interface FailedDeployment {
  readonly deploymentHash: string;
  readonly gitRevision: string;
  readonly reason: string;
  readonly at: string;
}

/** How many failed hashes to remember; the oldest are forgotten first. */
const REMEMBERED = 50;

export interface Quarantine {
  /** Every remembered failure, oldest first. */
  list(): Promise<FailedDeployment[]>;
  get(deploymentHash: string): Promise<FailedDeployment | undefined>;
  add(failure: FailedDeployment): Promise<void>;
  release(deploymentHash: string): Promise<void>;
}

/** The quarantine, persisted in `.stow/state.json` so that it survives restarts of the daemon. */
export function createQuarantine(stateFile: string): Quarantine {
  const read = async (): Promise<FailedDeployment[]> => {
    try {
      const json = JSON.parse(await fs.readFile(stateFile, 'utf8')) as {
        failedDeployments?: FailedDeployment[];
      };
      return Array.isArray(json.failedDeployments) ? json.failedDeployments : [];
    } catch {
      return []; // missing or torn: forgetting a quarantine only means one more automatic attempt
    }
  };
  const write = (failed: FailedDeployment[]) =>
    writeFileAtomic(
      stateFile,
      `${JSON.stringify({ failedDeployments: failed.slice(-REMEMBERED) }, null, 2)}\n`,
    );
  return {
    list: read,
    async get(hash) {
      return (await read()).find((failure) => failure.deploymentHash === hash);
    },
    async add(failure) {
      await write([...(await read()).filter((f) => f.deploymentHash !== failure.deploymentHash), failure]);
    },
    async release(hash) {
      const failed = await read();
      if (failed.some((f) => f.deploymentHash === hash))
        await write(failed.filter((f) => f.deploymentHash !== hash));
    },
  };
}
