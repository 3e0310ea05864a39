// Benchmark: native SOPS decryption of 500 dotenv files (20 keys each) against a floor of bare
// node:crypto AES-256-GCM decryptions of the same values, in the same run.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decryptFile, decryptTree } from '@stow/sops-decrypt';

const FILES = 500;
const KEYS = 20;
const LAST_MODIFIED = '2026-01-02T03:04:05Z';

// age-encryption is a dependency of @stow/sops-decrypt; resolve it from there.
const pkgRequire = createRequire(createRequire(import.meta.url).resolve('@stow/sops-decrypt'));
const age = await import(pathToFileURL(pkgRequire.resolve('age-encryption')).href);

function seal(plain, key, aad, type = 'str') {
  const iv = randomBytes(32);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const data = Buffer.concat([c.update(plain), c.final()]);
  return {
    text: `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${c.getAuthTag().toString('base64')},type:${type}]`,
    data,
    iv,
    tag: c.getAuthTag(),
  };
}

const dir = await mkdtemp(join(tmpdir(), 'bench-sops-'));
const tree = join(dir, 'tree');
await mkdir(tree);
const identity = await age.generateIdentity();
const recipient = await age.identityToRecipient(identity);
const keysFile = join(dir, 'keys.txt');
await writeFile(keysFile, `${identity}\n`);

// Generate the files (sops dotenv layout) and remember the raw values for the floor loop.
const floorInputs = [];
const paths = [];
for (let f = 0; f < FILES; f++) {
  const dataKey = randomBytes(32);
  const mac = createHash('sha512');
  let body = '';
  for (let k = 0; k < KEYS; k++) {
    const name = `KEY_${k}`;
    const value = Buffer.from(randomBytes(18).toString('base64'));
    mac.update(value);
    const s = seal(value, dataKey, `${name}:`);
    floorInputs.push({ key: dataKey, aad: Buffer.from(`${name}:`), ...s });
    body += `${name}=${s.text}\n`;
  }
  const enc = new age.Encrypter();
  enc.addRecipient(recipient);
  const armored = age.armor.encode(await enc.encrypt(dataKey)).replaceAll('\n', '\\n');
  body += `sops_age__list_0__map_enc=${armored}\n`;
  body += `sops_age__list_0__map_recipient=${recipient}\n`;
  body += `sops_lastmodified=${LAST_MODIFIED}\n`;
  body += `sops_mac=${seal(Buffer.from(mac.digest('hex').toUpperCase()), dataKey, LAST_MODIFIED).text}\n`;
  body += 'sops_unencrypted_suffix=_unencrypted\nsops_version=3.13.2\n';
  const path = join(tree, `svc-${String(f).padStart(3, '0')}.env`);
  await writeFile(path, body);
  paths.push(path);
}

async function time(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

// Warm-up (JIT, key file parse) on a handful of files.
for (const p of paths.slice(0, 10)) await decryptFile(p, { keysFile });

const floorMs = await time(() => {
  for (const v of floorInputs) {
    const d = createDecipheriv('aes-256-gcm', v.key, v.iv);
    d.setAAD(v.aad);
    d.setAuthTag(v.tag);
    Buffer.concat([d.update(v.data), d.final()]);
  }
});
const fileMs = await time(async () => {
  for (const p of paths) await decryptFile(p, { keysFile });
});
let decrypted = 0;
const treeMs = await time(async () => {
  decrypted = (await decryptTree(tree, { keysFile })).length;
});
if (decrypted !== FILES) throw new Error(`decryptTree decrypted ${decrypted} files, expected ${FILES}`);
await rm(dir, { recursive: true, force: true });

const row = (name, ms) =>
  `| ${name} | ${((FILES / ms) * 1000).toFixed(0)} | ${ms.toFixed(1)} | ${(ms / floorMs).toFixed(1)}x |`;
console.log(`SOPS dotenv decryption: ${FILES} files x ${KEYS} keys (node ${process.version})\n`);
console.log('| implementation | files/s | total ms | ratio vs floor |');
console.log('|---|---|---|---|');
console.log(row('floor: bare node:crypto AES-256-GCM (values only, no age, no MAC, no parsing)', floorMs));
console.log(row('@stow/sops-decrypt decryptFile x500 (native, key file read each call)', fileMs));
console.log(row('@stow/sops-decrypt decryptTree (detect + decrypt + atomic write)', treeMs));
