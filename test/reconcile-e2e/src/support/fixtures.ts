import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SOPS_FIXTURES } from '@stow/sops-decrypt/test-support';

const sops = (relative: string) => readFileSync(join(SOPS_FIXTURES, relative));

/** Real sops+age files (the committed fixtures) and a keys file holding both of their identities. */
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
