// Checks the FPATAN model (core/fpu/atan-small.ts: the host's atan of ratios below 2^-5 and its
// 66-bit pi) against the host, and counts how often the correctly rounded atan2 would have
// matched instead. Not part of the test suite: it needs the CPU the fixtures come from.
//   npx tsx tests/harness-x87/fpatan-small.ts [samples, default 20000]
// Operands: both signs of x and y, |y| <= |x| and |y| > |x| alike, every RC (and precision
// control, which FPATAN ignores), exception masks all set. w, the smaller magnitude over the
// larger, lies below 2^-5 in three samples of four (in [2^-41, 2^-5), where the correction
// w - atan(w) shows, far smaller, with denormal operands or results near the smallest
// normal) and in [2^-6, 1] otherwise. A sample matches when the result's bits and the status
// word's exception flags and C1 equal the host's. Printed per region: w < 2^-5 for x > 0 and
// |y| <= |x| (the result is atan(w)), w < 2^-5 in the other quadrants (pi/2 ± atan(w),
// pi - atan(w)), w >= 2^-5 in those quadrants (the host's pi, then the exact atan(w)), and
// w >= 2^-5 for x > 0, |y| <= |x|, where the model is the correctly rounded atan.
import { atanP, pi } from '../../core/fpu/bigmath.ts';
import { type F80, finite } from '../../core/fpu/float80.ts';
import { FpEnv, roundExtended } from '../../core/fpu/round.ts';
import { Sw } from '../../core/fpu/status.ts';
import { fpatan } from '../../core/fpu/transcend.ts';
import { Rng } from './gen-cases.ts';
import { nativeOracle } from './native-oracle.ts';

const oracle = nativeOracle('fpatan-oracle');

const J = 1n << 63n;
const MIN_EXP = 1;
const MAX_EXP = 0x7ffe;
/** The status-word bits compared: the exception flags and C1. */
const SW_COMPARED = 0x3f | Sw.C1;

interface Sample {
  cw: number;
  y: F80;
  x: F80;
}

const rng = new Rng('fpatan-small');
const int = (lo: number, hi: number): number => lo + rng.int(hi - lo + 1);
const normalSig = (): bigint => J | rng.bits(63);
/** A denormal significand of random width. */
const denormalSig = (): bigint => (rng.bits(63) >> BigInt(rng.int(63))) | 1n;

/** Region names, indexed by region(). */
const REGIONS = [
  'w < 2^-5, atan(w)',
  'w < 2^-5, other quadrants',
  'w >= 2^-5, other quadrants',
  'w >= 2^-5, atan(w)',
];

function sample(): Sample {
  const cw = 0x007f | (rng.pick([0, 2, 3]) << 8) | (rng.int(4) << 10);
  const ySign = rng.int(2);
  const xSign = rng.int(2);
  const ySmall = rng.chance(0.5);
  const kindOf = rng.int(12);
  const pair = (small: F80, large: F80): Sample =>
    ySmall
      ? { cw, y: { ...small, sign: ySign }, x: { ...large, sign: xSign } }
      : { cw, y: { ...large, sign: ySign }, x: { ...small, sign: xSign } };
  if (kindOf < 1) {
    // A denormal small operand, the other normal.
    return pair(
      { sign: 0, exp: 0, mant: denormalSig() },
      { sign: 0, exp: int(MIN_EXP, 0x3ff0), mant: normalSig() },
    );
  }
  if (kindOf < 2) {
    // Both denormal, the small one at least 2^9 times smaller.
    const large = denormalSig() | (1n << 40n);
    return pair(
      { sign: 0, exp: 0, mant: (large >> BigInt(int(9, 40))) | 1n },
      { sign: 0, exp: 0, mant: large },
    );
  }
  let ew: number;
  if (kindOf < 6) ew = int(-40, -6);
  else if (kindOf < 8) ew = int(-16000, -41);
  else if (kindOf < 9) ew = int(-16450, -16370);
  else ew = int(-5, 0);
  // Biased exponents with es - el = ew, both in range.
  const el = int(Math.max(MIN_EXP, MIN_EXP - ew), Math.min(MAX_EXP, MAX_EXP - ew));
  const small = { sign: 0, exp: el + ew, mant: normalSig() };
  const large = { sign: 0, exp: el, mant: normalSig() };
  // |small| <= |large| needs a smaller significand when the exponents are equal.
  if (ew === 0 && small.mant > large.mant) [small.mant, large.mant] = [large.mant, small.mant];
  return pair(small, large);
}

/** |y| <= |x|, and the ratio of the smaller magnitude to the larger as n / d × 2^-shift. */
function ratioOf(s: Sample): { ySmall: boolean; n: bigint; d: bigint; shift: number } {
  const fy = finite(s.y);
  const fx = finite(s.x);
  const c = fy.scale - fx.scale;
  const ySmall = c >= 0 ? fy.sig << BigInt(c) <= fx.sig : fy.sig <= fx.sig << BigInt(-c);
  return ySmall ? { ySmall, n: fy.sig, d: fx.sig, shift: -c } : { ySmall, n: fx.sig, d: fy.sig, shift: c };
}

function region(s: Sample): number {
  const r = ratioOf(s);
  // w < 2^-5 exactly when n 2^5 < d 2^shift.
  const tiny = r.shift >= 5 ? r.n < r.d << BigInt(r.shift - 5) : r.n << BigInt(5 - r.shift) < r.d;
  const first = r.ySmall && s.x.sign === 0;
  return tiny ? (first ? 0 : 1) : first ? 3 : 2;
}

const hex = (a: F80): string => `${((a.sign << 15) | a.exp).toString(16)} ${a.mant.toString(16)}`;

function host(samples: Sample[]): { r: string; sw: number }[] {
  const input = samples.map((s) => `${s.cw.toString(16)} ${hex(s.y)} ${hex(s.x)}\n`).join('');
  const out = oracle(input);
  return out.map((l) => {
    const [se, m, sw] = l.split(' ');
    return { r: `${se} ${m}`, sw: parseInt(sw, 16) & SW_COMPARED };
  });
}

const envOf = (cw: number): FpEnv => new FpEnv(cw & 0x3f, (cw >> 10) & 3, 64);
const outcome = (r: F80, env: FpEnv): { r: string; sw: number } => ({
  r: `${((r.sign << 15) | r.exp).toString(16).padStart(4, '0')} ${r.mant.toString(16).padStart(16, '0')}`,
  sw: (env.flags & 0x3f) | (env.roundedUp ? Sw.C1 : 0),
});

/** The correctly rounded atan2(y, x) (exact pi, no host constants). */
function correctlyRounded(s: Sample, env: FpEnv): F80 {
  const r = ratioOf(s);
  const quarter = r.ySmall ? (s.x.sign ? 2 : 0) : 1;
  const minus = r.ySmall ? s.x.sign === 1 : s.x.sign === 0;
  // w in fixed point with p fractional bits, 200 bits beyond its leading one.
  const p = 200 + Math.max(0, r.shift + 64);
  const num = r.n << BigInt(p - r.shift);
  const w = num / r.d;
  if (w >> BigInt(p - 100) === 0n) {
    // atan(w) = w - w^3/3, and w^3/3 lies below every bit that decides the rounding.
    if (quarter === 0)
      return roundExtended(s.y.sign, w * r.d === num ? (w << 1n) - 1n : (w << 1n) | 1n, -p - 1, env);
    // pi/2 or pi, moved by a w far below its last bit.
    const base = (pi(p) * BigInt(quarter)) >> 1n;
    return roundExtended(s.y.sign, (base << 1n) + (minus ? -1n : 1n), -p - 1, env);
  }
  const a = atanP(w, p);
  if (quarter === 0) return roundExtended(s.y.sign, (a << 1n) | 1n, -p - 1, env);
  const base = (pi(p) * BigInt(quarter)) >> 1n;
  return roundExtended(s.y.sign, ((minus ? base - a : base + a) << 1n) + (minus ? -1n : 1n), -p - 1, env);
}

const n = Number(process.argv[2] ?? 20000);
const samples = Array.from({ length: n }, sample);
const want = host(samples);
const counts = REGIONS.map(() => ({ cases: 0, model: 0, correct: 0 }));
const misses: string[] = [];
samples.forEach((s, i) => {
  const c = counts[region(s)];
  c.cases++;
  const env = envOf(s.cw);
  const r = fpatan(s.y, s.x, env);
  const got = r === null ? { r: 'none', sw: 0 } : outcome(r, env);
  if (got.r === want[i].r && got.sw === want[i].sw) c.model++;
  else if (misses.length < 10)
    misses.push(
      `cw ${s.cw.toString(16)} y ${hex(s.y)} x ${hex(s.x)}: host ${want[i].r} sw ${want[i].sw.toString(16)}, model ${got.r} sw ${got.sw.toString(16)}`,
    );
  const crEnv = envOf(s.cw);
  // A denormal operand reports DE, as fpatan's operand check does.
  if (s.y.exp === 0 || s.x.exp === 0) crEnv.flags |= Sw.DE;
  const cr = outcome(correctlyRounded(s, crEnv), crEnv);
  if (cr.r === want[i].r && cr.sw === want[i].sw) c.correct++;
});
console.log(`${n} random FPATAN operands; matches with the host (core/fpu, correctly rounded atan2):`);
REGIONS.forEach((name, k) =>
  console.log(`  ${name}: ${counts[k].model} and ${counts[k].correct} of ${counts[k].cases}`),
);
const total = (key: 'model' | 'correct'): number => counts.reduce((t, c) => t + c[key], 0);
console.log(`  all: ${total('model')} and ${total('correct')} of ${n}`);
for (const m of misses) console.log(`  differs: ${m}`);
