export type { ContentHashErrorCode } from './errors.js';
export { ContentHashError } from './errors.js';
export type { FirstReadListener } from './file-set-hash.js';
export type { DeploymentHashes, HashDeploymentOptions } from './hash-deployment.js';
export {
  combineDeploymentHash,
  EMPTY_SET_HASH,
  HASH_VERSION,
  hashDeployment,
  MANIFEST_FILE,
  RESERVED_NAMES,
} from './hash-deployment.js';
export type { TreeFile } from './walk.js';
export { walkTree } from './walk.js';
