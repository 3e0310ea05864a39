// Test-only entry point (`@stow/sops-decrypt/test-support`, never built): the committed sops + age
// fixtures and the sops-format encryptor, for the tests of packages that read SOPS files.
export { SOPS_FIXTURES } from './fixtures.js';
export { newKey, type TestKey, tempDir, writeKeyFile } from './keys.js';
export { type EncryptOptions, sopsEncrypt } from './sops-encryptor.js';
