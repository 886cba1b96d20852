// Fixed-point real arithmetic on bigints for the transcendental instructions: a value v
// stands for v / 2^P. The x87 computes these functions internally with more than 64 bits
// and rounds once; we compute with P well above 64 (and more for tiny arguments, so that
// the relative error stays far below one unit in the last place) and round once.
import { bitLength } from './float80.ts';

export const one = (p: number): bigint => 1n << BigInt(p);
/** Product truncated toward zero (a plain >> would floor negatives to -1 and never end a series). */
export function mulP(a: bigint, b: bigint, p: number): bigint {
  const prod = a * b;
  return prod >= 0n ? prod >> BigInt(p) : -(-prod >> BigInt(p));
}
export const divP = (a: bigint, b: bigint, p: number): bigint => (a << BigInt(p)) / b;

/** atanh(1/n) = sum 1 / ((2k+1) n^(2k+1)). */
function atanhInv(n: bigint, p: number): bigint {
  let term = one(p) / n;
  const n2 = n * n;
  let sum = 0n;
  for (let k = 1n; term !== 0n; k += 2n) {
    sum += term / k;
    term /= n2;
  }
  return sum;
}

/** atan(1/n) = sum (-1)^k / ((2k+1) n^(2k+1)). */
function atanInv(n: bigint, p: number): bigint {
  let term = one(p) / n;
  const n2 = n * n;
  let sum = 0n;
  let sign = 1n;
  for (let k = 1n; term !== 0n; k += 2n) {
    sum += (sign * term) / k;
    term /= n2;
    sign = -sign;
  }
  return sum;
}

const GUARD = 32;
const cache = new Map<string, bigint>();
function cached(name: string, p: number, f: (q: number) => bigint): bigint {
  const key = `${name}/${p}`;
  let v = cache.get(key);
  if (v === undefined) {
    v = f(p + GUARD) >> BigInt(GUARD);
    cache.set(key, v);
  }
  return v;
}

/** pi by Machin's formula: 16 atan(1/5) - 4 atan(1/239). */
export const pi = (p: number): bigint => cached('pi', p, (q) => 16n * atanInv(5n, q) - 4n * atanInv(239n, q));
/** ln 2 = 2 atanh(1/3). */
export const ln2 = (p: number): bigint => cached('ln2', p, (q) => 2n * atanhInv(3n, q));

/** ln(x) for x in [1, 2] (fixed point): 2 atanh((x - 1) / (x + 1)). */
export function lnP(x: bigint, p: number): bigint {
  const z = divP(x - one(p), x + one(p), p);
  return 2n * atanhSeries(z, p);
}

/** atanh(z) = z + z^3/3 + z^5/5 + ... for |z| < 1/2 (fixed point). */
export function atanhSeries(z: bigint, p: number): bigint {
  const z2 = mulP(z, z, p);
  let term = z;
  let sum = 0n;
  for (let k = 1n; term !== 0n; k += 2n) {
    sum += term / k;
    term = mulP(term, z2, p);
  }
  return sum;
}

/** e^t - 1 for |t| <= 1 (fixed point), by its Taylor series. */
export function expm1P(t: bigint, p: number): bigint {
  let term = t;
  let sum = 0n;
  for (let k = 2n; term !== 0n; k += 1n) {
    sum += term;
    term = mulP(term, t, p) / k;
  }
  return sum;
}

/** sin and cos of |r| <= pi/4 (fixed point), by their Taylor series. */
export function sinCosP(r: bigint, p: number): [bigint, bigint] {
  const r2 = mulP(r, r, p);
  let s = 0n;
  let term = r;
  for (let k = 2n; term !== 0n; k += 2n) {
    s += term;
    term = -mulP(term, r2, p) / (k * (k + 1n));
  }
  let c = 0n;
  term = one(p);
  for (let k = 1n; term !== 0n; k += 2n) {
    c += term;
    term = -mulP(term, r2, p) / (k * (k + 1n));
  }
  return [s, c];
}

/** floor(sqrt(v)). */
function isqrt(v: bigint): bigint {
  if (v < 2n) return v;
  let x = 1n << BigInt((bitLength(v) >> 1) + 1);
  for (;;) {
    const y = (x + v / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** atan(z) for 0 <= z <= 1 (fixed point): three argument halvings, then the Taylor series. */
export function atanP(z: bigint, p: number): bigint {
  const o = one(p);
  let halvings = 0n;
  for (let k = 0; k < 3; k++) {
    // atan(z) = 2 atan(z / (1 + sqrt(1 + z^2)))
    const root = isqrt((o * o) + z * z);
    z = divP(z, o + root, p);
    halvings += 1n;
  }
  const z2 = mulP(z, z, p);
  let term = z;
  let sum = 0n;
  for (let k = 1n; term !== 0n; k += 2n) {
    sum += term / k;
    term = -mulP(term, z2, p);
  }
  return sum << halvings;
}
