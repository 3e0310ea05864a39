import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const sops = (relative: string) =>
  readFileSync(fileURLToPath(new URL(`../../../../../shared/fixtures/sops/${relative}`, import.meta.url)));

/** Real sops+age files (the shared fixtures) and a keys file holding both of their identities. */
export const SECRETS = {
  /** dotenv: secret="this is a secret", another_secret="7" */
  humphd: sops('humphd-sops-age/secret.enc.env'),
  /** dotenv: key=value, and the same value encrypted again with another data key */
  fluxEnvs: sops('fluxcd-kustomize-controller/envs/env.env'),
  fluxComponent: sops('fluxcd-kustomize-controller/component/env.env'),
  keys: Buffer.concat([
    sops('humphd-sops-age/key.txt'),
    Buffer.from('\n'),
    sops('fluxcd-kustomize-controller/keys/age.txt'),
  ]),
};
