import { type PreparedRevision, prepareRevision } from './pipeline.js';
import type { ReconcileContext } from './reconcile-context.js';

/**
 * The deployment a commit describes: downloaded into a private staging directory, decrypted, hashed
 * and validated, then discarded. Needs no host lock (nothing on the host changes); the daemon caches
 * the answer per commit, since commits are immutable.
 */
export async function resolveDeployment(
  context: Pick<ReconcileContext, 'source' | 'secrets' | 'store' | 'log'>,
  gitRevision: string,
): Promise<Omit<PreparedRevision, 'stagingDir'>> {
  const stagingDir = await context.store.createStaging();
  try {
    const { stagingDir: _discarded, ...prepared } = await prepareRevision(context, gitRevision, stagingDir);
    return prepared;
  } finally {
    await context.store.discardStaging(stagingDir);
  }
}
