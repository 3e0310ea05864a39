import { fileURLToPath } from 'node:url';

/** The shared SOPS fixtures beside the checkout (`<checkout>/../shared/fixtures/sops`). */
export const SOPS_FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/sops/', import.meta.url));
