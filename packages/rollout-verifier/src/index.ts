export type { RolloutVerifierErrorCode } from './errors.js';
export { RolloutVerifierError } from './errors.js';
export type { ContainerVerdict, Evaluation, ExpectedDeployment } from './evaluate.js';
export { evaluate } from './evaluate.js';
export type { Observation } from './observation.js';
export { missingObservation, observationOf } from './observation.js';
export { observeContainers } from './observe-engine.js';
export type { Clock, VerifyOptions, VerifyOutcome, VerifyProgress } from './verify-rollout.js';
export { systemClock, verifyRollout } from './verify-rollout.js';
