import type { ContainerInspection } from '@stow/docker-planner';

/** What verification reads of one expected container: the port's inspection, or that it does not exist. */
export type Observation =
  | { readonly name: string; readonly exists: false }
  | ({ readonly exists: true } & ContainerInspection);

export function missingObservation(name: string): Observation {
  return { name, exists: false };
}

/** The observation of the container expected under `name`; `undefined` (no such container) is missing. */
export function observationOf(name: string, inspection: ContainerInspection | undefined): Observation {
  return inspection === undefined ? missingObservation(name) : { exists: true, ...inspection };
}
