import { DockerPlannerError } from './errors.js';

/** Each container's dependencies (stow.yaml `dependsOn`); a container missing here depends on nothing. */
export type DependsOn = Readonly<Record<string, readonly string[] | undefined>>;

/**
 * The order containers start in (SPEC: dependsOn): groups ("waves") where every container's
 * dependencies are in an earlier group, so the containers of one group may start together. Within
 * a group the manifest order is kept. Dependencies outside `containers` are ignored (they are not
 * started by this apply). Pure; a cycle (stow.yaml validation refuses them) throws INVALID_SPEC.
 */
export function startWaves(containers: readonly string[], dependsOn: DependsOn): string[][] {
  const inScope = new Set(containers);
  const placed = new Set<string>();
  const waves: string[][] = [];
  let remaining = [...containers];
  while (remaining.length > 0) {
    const wave = remaining.filter((name) =>
      (dependsOn[name] ?? []).every((dependency) => !inScope.has(dependency) || placed.has(dependency)),
    );
    if (wave.length === 0) {
      throw new DockerPlannerError(
        'INVALID_SPEC',
        `dependsOn has a cycle among ${remaining.join(', ')}`,
        remaining[0] === undefined ? {} : { container: remaining[0] },
      );
    }
    for (const name of wave) placed.add(name);
    waves.push(wave);
    remaining = remaining.filter((name) => !placed.has(name));
  }
  return waves;
}

/** The order containers stop in: the reverse of the start order, dependents before their dependencies. */
export function stopOrder(containers: readonly string[], dependsOn: DependsOn): string[] {
  return startWaves(containers, dependsOn).reverse().flat();
}
