export { decryptFile, isSopsFile } from './decrypt-file.js';
export type { SopsDecryptErrorCode } from './errors.js';
export { SopsDecryptError } from './errors.js';
export { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS } from './external.js';
export type { SopsFormat } from './formats/index.js';
export { formatOf } from './formats/index.js';
export type { DecryptOptions, ExternalDecryptOptions, NativeDecryptOptions } from './options.js';
export { decryptFiles, decryptTree, findSopsFiles } from './tree.js';
