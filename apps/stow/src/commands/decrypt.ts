import path from 'node:path';
import { type Command, UsageError } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { parseFlags, requirePositionals } from '../parse-flags.js';

export const decryptCommand: Command = {
  name: 'decrypt',
  summary: 'print a SOPS-encrypted file decrypted, like sops --decrypt',
  help: `Usage: stow decrypt --keys FILE [--sops-binary PATH] PATH

Decrypts the SOPS file PATH with the age identities in FILE (SOPS_AGE_KEY_FILE format) and prints
the plaintext to stdout, as 'sops --decrypt' does. The format follows the file name: .yaml/.yml,
.json, .env (dotenv), .ini, anything else binary. The MAC is verified before anything is printed.

Options:
  --keys FILE          age identities file (X25519 or post-quantum AGE-SECRET-KEY-PQ-1 keys)
  --sops-binary PATH   run this sops executable (--decrypt, SOPS_AGE_KEY_FILE=FILE) instead
  -h, --help           show this help

Exit codes: 0 decrypted; 2 not a SOPS file, no matching key, tampered value or MAC mismatch.
`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      keys: { type: 'string' },
      'sops-binary': { type: 'string' },
    });
    const [file = ''] = requirePositionals(positionals, ['PATH']);
    if (values.keys === undefined)
      throw new UsageError('missing --keys FILE (the age identities to decrypt with)');
    const keysFile = path.resolve(io.cwd, values.keys);
    const { decryptFile } = await import('@stow/sops-decrypt');
    const plaintext = await decryptFile(
      path.resolve(io.cwd, file),
      values['sops-binary'] === undefined
        ? { keysFile }
        : { keysFile, sopsBinary: path.resolve(io.cwd, values['sops-binary']) },
    );
    io.stdout.write(plaintext);
    return ExitCode.success;
  },
};
