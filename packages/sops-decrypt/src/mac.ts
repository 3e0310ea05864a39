import { createHash, type Hash } from 'node:crypto';
import { macBytes, type PlainValue } from './plain-value.js';

/** sops.MACOnlyEncryptedInitialization: sha256("sops"), written first when mac_only_encrypted is set. */
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from(
  '8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69',
  'hex',
);

/** sha512 over the leaf values in document order, printed as upper-case hex (`%X`). */
export class MacHasher {
  private readonly hash: Hash = createHash('sha512');

  constructor(macOnlyEncrypted: boolean) {
    if (macOnlyEncrypted) this.hash.update(MAC_ONLY_ENCRYPTED_INIT);
  }

  add(value: PlainValue): void {
    this.hash.update(macBytes(value));
  }

  hex(): string {
    return this.hash.digest('hex').toUpperCase();
  }
}
