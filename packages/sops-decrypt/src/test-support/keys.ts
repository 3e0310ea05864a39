import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';

export interface TestKey {
  identity: string;
  recipient: string;
}

export async function newKey(): Promise<TestKey> {
  const identity = await generateIdentity();
  return { identity, recipient: await identityToRecipient(identity) };
}

export async function tempDir(prefix = 'sops-decrypt-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes a SOPS_AGE_KEY_FILE holding the given identities. */
export async function writeKeyFile(
  dir: string,
  keys: readonly TestKey[],
  name = 'keys.txt',
): Promise<string> {
  const path = join(dir, name);
  const body = keys.map((k) => `# public key: ${k.recipient}\n${k.identity}\n`).join('\n');
  await writeFile(path, body, { mode: 0o600 });
  return path;
}
