import { DockerPlannerError, pullReference } from '@stow/docker-planner';
import type { DockerContext } from './docker-steps.js';
import type { TargetDeployment } from './target.js';

/**
 * SPEC section 7: every image of the target (containers and jobs) is on the host before running-config switches and
 * anything running stops, so a registry that is down or cuts a pull off fails the reconcile with
 * nothing changed (outcome `failed`, retried on the next poll, never quarantined). Returns every image
 * of the target, all on the host now: applyPlan need not look them up again.
 */
export async function pullImages(context: DockerContext, target: TargetDeployment): Promise<string[]> {
  const { engine, log } = context;
  // Jobs' images too: a beforeApply job runs after every image is on the host.
  const specs = [
    ...Object.values(target.manifest?.containers ?? {}),
    ...Object.values(target.manifest?.jobs ?? {}),
  ];
  const images = [...new Set(specs.map((spec) => spec.image))];
  for (const image of images) {
    if (await engine.imageExists(image)) continue;
    const ref = pullReference(image);
    log.log('info', 'docker pull', { target: ref });
    await engine.pullImage(ref, context.registryAuth?.(image));
    if (!(await engine.imageExists(image))) {
      throw new DockerPlannerError(
        'PULL_FAILED',
        `pulling ${ref}: the engine reported success but has no ${image}`,
        {
          image,
        },
      );
    }
  }
  return images;
}
