import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type Command, UsageError } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { parseFlags, requirePositionals } from '../parse-flags.js';

export const hashCommand: Command = {
  name: 'hash',
  summary: 'print the four v1 content hashes of a deployment folder',
  help: `Usage: stow hash [--json] [--keys FILE] [--sops-binary PATH] DIR

Prints the content hashes of the deployment folder DIR (the folder holding stow.yaml):
manifest_hash, config_hash, secrets_hash and deployment_hash. The deployment hash is what stow
labels containers with (stow.hash=v1:<deployment_hash>). SOPS-encrypted files are secret files:
secrets_hash covers their decrypted contents, so a folder holding them needs --keys. DIR is never
modified: secrets are decrypted in a private temporary copy that is removed afterwards.

Options:
  --json               print { manifest_hash, config_hash, secrets_hash, deployment_hash, secret_files }
  --keys FILE          age identities (SOPS_AGE_KEY_FILE format) to decrypt the SOPS files with
  --sops-binary PATH   decrypt with this sops executable instead of natively
  -h, --help           show this help

Exit codes: 0 hashed; 2 DIR is not a deployment folder, holds a link, device or reserved name,
or a SOPS file cannot be decrypted (wrong key, tampered value, MAC mismatch).
`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      json: { type: 'boolean' },
      keys: { type: 'string' },
      'sops-binary': { type: 'string' },
    });
    const [dir = ''] = requirePositionals(positionals, ['DIR']);
    const folder = path.resolve(io.cwd, dir);
    const manifest = await fs.lstat(path.join(folder, 'stow.yaml')).catch(() => undefined);
    if (!manifest?.isFile()) {
      throw new UsageError(`${dir}: no stow.yaml here; DIR must be a deployment folder`);
    }
    // The subpath, not the package: the whole reconciler (Docker, GitLab clients) is not needed to hash.
    const { hashDeploymentFolder } = await import('@stow/reconciler/hash-folder');
    const hashes = await hashDeploymentFolder(folder, {
      keysFile: values.keys === undefined ? undefined : path.resolve(io.cwd, values.keys),
      sopsBinary:
        values['sops-binary'] === undefined ? undefined : path.resolve(io.cwd, values['sops-binary']),
    });
    if (values.json) {
      io.stdout.write(
        `${JSON.stringify({
          manifest_hash: hashes.manifestHash,
          config_hash: hashes.configHash,
          secrets_hash: hashes.secretsHash,
          deployment_hash: hashes.deploymentHash,
          secret_files: hashes.secretFiles,
        })}\n`,
      );
    } else {
      io.stdout.write(
        [
          `manifest_hash   ${hashes.manifestHash}`,
          `config_hash     ${hashes.configHash}`,
          `secrets_hash    ${hashes.secretsHash}`,
          `deployment_hash ${hashes.deploymentHash}`,
          '',
        ].join('\n'),
      );
    }
    return ExitCode.success;
  },
};
