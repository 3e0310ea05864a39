import { fileURLToPath } from 'node:url';

/**
 * The real sops + age fixtures kept in this package (`fixtures/`, origin of each file in its
 * README). Tests of other packages reach them through `@stow/sops-decrypt/test-support`.
 */
export const SOPS_FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
