import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const CTL = fileURLToPath(new URL('../../../../ci/test-host-ctl', import.meta.url));

export type HostAction =
  | 'dockerd-stop'
  | 'dockerd-start'
  | 'dockerd-restart'
  | 'registry-stop'
  | 'registry-start'
  | 'ensure';

/**
 * ci/test-host-ctl ACTION: stops or starts dockerd or the registry the way ci/setup-test-host runs
 * them. Stopping dockerd stops every container of the host: the suite runs under
 * `flock /tmp/stow-engine.lock` so that no other engine test is running meanwhile.
 */
export async function testHost(action: HostAction): Promise<void> {
  try {
    await promisify(execFile)(CTL, [action], { timeout: 180_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`ci/test-host-ctl ${action} failed: ${stderr.trim().split('\n').slice(-8).join(' | ')}`, {
      cause: error,
    });
  }
}
