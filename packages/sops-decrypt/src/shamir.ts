// Shamir secret sharing over GF(2^8) with the AES polynomial, as in sops' shamir package
// (a copy of HashiCorp Vault's). Each part is the share bytes followed by its x coordinate.

function mult(a: number, b: number): number {
  let result = 0;
  let x = a;
  let y = b;
  while (y > 0) {
    if (y & 1) result ^= x;
    x = x & 0x80 ? ((x << 1) ^ 0x11b) & 0xff : x << 1;
    y >>= 1;
  }
  return result;
}

function inverse(a: number): number {
  // a^254 = a^-1 in GF(2^8)
  let result = 1;
  let base = a;
  let e = 254;
  while (e > 0) {
    if (e & 1) result = mult(result, base);
    base = mult(base, base);
    e >>= 1;
  }
  return result;
}

function div(a: number, b: number): number {
  if (b === 0) throw new Error('divide by zero');
  return a === 0 ? 0 : mult(a, inverse(b));
}

/** Lagrange interpolation at x = 0. */
function interpolateAtZero(xs: number[], ys: number[]): number {
  let result = 0;
  for (let i = 0; i < xs.length; i++) {
    let basis = 1;
    for (let j = 0; j < xs.length; j++) {
      if (i === j) continue;
      basis = mult(basis, div(xs[j] as number, (xs[i] as number) ^ (xs[j] as number)));
    }
    result ^= mult(ys[i] as number, basis);
  }
  return result;
}

/** shamir.Combine: rebuilds the secret from at least `threshold` parts. */
export function combineShares(parts: readonly Uint8Array[]): Buffer {
  if (parts.length < 2) throw new Error('less than two parts cannot be used to reconstruct the secret');
  const len = parts[0]?.length ?? 0;
  if (len < 2) throw new Error('parts must be at least two bytes');
  if (parts.some((p) => p.length !== len)) throw new Error('all parts must be the same length');
  const xs = parts.map((p) => p[len - 1] as number);
  if (new Set(xs).size !== xs.length) throw new Error('duplicate part detected');
  const secret = Buffer.alloc(len - 1);
  for (let idx = 0; idx < len - 1; idx++) {
    secret[idx] = interpolateAtZero(
      xs,
      parts.map((p) => p[idx] as number),
    );
  }
  return secret;
}

/** shamir.Split (used by the test-support encryptor): random polynomial per byte, distinct x. */
export function splitSecret(
  secret: Uint8Array,
  parts: number,
  threshold: number,
  random: (n: number) => Uint8Array,
): Buffer[] {
  if (threshold < 2 || parts < threshold || parts > 255) throw new Error('bad shamir parameters');
  const xs: number[] = [];
  while (xs.length < parts) {
    const x = ((random(1)[0] as number) % 255) + 1;
    if (!xs.includes(x)) xs.push(x);
  }
  const out = xs.map((x) => {
    const b = Buffer.alloc(secret.length + 1);
    b[secret.length] = x;
    return b;
  });
  secret.forEach((byte, idx) => {
    const coeffs = [byte, ...random(threshold - 1)];
    xs.forEach((x, p) => {
      let y = 0;
      for (let k = coeffs.length - 1; k >= 0; k--) y = mult(y, x) ^ (coeffs[k] as number);
      (out[p] as Buffer)[idx] = y;
    });
  });
  return out;
}
