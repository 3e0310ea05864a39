// Test support for packages built on the Docker port: not used by stow itself.
export type { FakeBehaviour, FakeContainer, FakeMatch } from './fake-engine.js';
export { FakeEngine } from './fake-engine.js';
