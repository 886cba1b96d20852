// Checks FPTAN of operands in [2^-33, pi/4] (core/fpu/tan-rational.ts, the host's ratio of two
// 68-bit values) against the host, and counts how often the correctly rounded tangent would
// have matched instead. Not part of the test suite: it needs the CPU the fixtures come from.
//   npx tsx tests/harness-x87/fptan-host.ts [samples per binade: 1400] [first, last binade: -33 -6]
//     [seed: fptan-host]
// (`2500 -5 -1` checks the rest up to pi/4: binade -1 also holds x in (pi/4, 1), reduced with
// k = 1; `200 0 62` takes x from 1 to 2^63 alone.)
// Random significands in every binade from the first to the last, both signs, every RC (and
// precision control, which FPTAN ignores), exception masks all set; then as many operands
// k pi/2 + r (the host's 66-bit pi, k from 1 to 2^16, r in the same binades) whose reduced
// argument the same model takes, counted against the correctly rounded tangent of that reduced
// argument. A sample matches when the tangent's bits and the status word's exception flags and
// C1 equal the host's.
import { sinCosP } from '../../core/fpu/bigmath.ts';
import { bitLength, EXP_BIAS, type F80, finite } from '../../core/fpu/float80.ts';
import { HOST_HALF_PI } from '../../core/fpu/host68.ts';
import { FpEnv, roundExtended } from '../../core/fpu/round.ts';
import { reduceHalfPi } from '../../core/fpu/sincos-host.ts';
import { Sw } from '../../core/fpu/status.ts';
import { ftan } from '../../core/fpu/transcend.ts';
import { Rng } from './gen-cases.ts';
import { nativeOracle } from './native-oracle.ts';

const oracle = nativeOracle('unary-oracle');

const FIRST_EXP = Number(process.argv[3] ?? -33);
const LAST_EXP = Number(process.argv[4] ?? -6);
/** The status-word bits compared: the exception flags and C1. */
const SW_COMPARED = 0x3f | Sw.C1;

/** A fifth argument names another random seed (fresh operands). */
const rng = new Rng(process.argv[5] ?? 'fptan-host');
const perBinade = Number(process.argv[2] ?? 1400);
/** reduced: an operand k pi/2 + r built around a reduced argument r; else one below 2^-6. */
const samples: { cw: number; x: F80; reduced: boolean }[] = [];
const randomCw = (): number => 0x007f | (rng.pick([0, 2, 3]) << 8) | (rng.int(4) << 10);
for (let e = FIRST_EXP; e <= LAST_EXP; e++)
  for (let i = 0; i < perBinade; i++)
    samples.push({
      cw: randomCw(),
      x: { sign: rng.int(2), exp: EXP_BIAS + e, mant: (1n << 63n) | rng.bits(63) },
      reduced: false,
    });

/** The host's pi/2 × 2^65. */
const HALF_PI_65 = HOST_HALF_PI.m << BigInt(65 + HOST_HALF_PI.e);
/** Fraction bits of the exact sum k pi/2 + r before it is rounded to an operand. */
const SUM_BITS = 200n;
// Reduced arguments only up to binade 2^-1 (|r| <= pi/4); binades from 2^0 up take x itself.
for (let e = FIRST_EXP; e <= Math.min(LAST_EXP, -1); e++)
  for (let i = 0; i < perBinade; i++) {
    // k pi/2 + r rounded to 64 bits (nearest); the operand's own reduced argument is within
    // 2^-48 of r, so it stays in r's binade or next to it.
    const k = BigInt(1 + rng.int(1 << 16));
    const r = ((1n << 63n) | rng.bits(63)) << (SUM_BITS - 63n + BigInt(e));
    const v = ((k * HALF_PI_65) << (SUM_BITS - 65n)) + (rng.int(2) ? r : -r);
    const drop = BigInt(bitLength(v) - 64);
    let mant = (v + (1n << (drop - 1n))) >> drop;
    let exp = Number(drop - SUM_BITS) + 63;
    if (mant >> 64n) [mant, exp] = [mant >> 1n, exp + 1];
    samples.push({ cw: randomCw(), x: { sign: rng.int(2), exp: EXP_BIAS + exp, mant }, reduced: true });
  }

const hex = (a: F80): string =>
  `${((a.sign << 15) | a.exp).toString(16).padStart(4, '0')} ${a.mant.toString(16).padStart(16, '0')}`;
const out = oracle(samples.map((s) => `${s.cw.toString(16)} ${hex(s.x)}\n`).join(''), ['fptan']);
const envOf = (cw: number): FpEnv => new FpEnv(cw & 0x3f, (cw >> 10) & 3, 64);
const outcome = (r: F80, env: FpEnv): string =>
  `${hex(r)} ${((env.flags & 0x3f) | (env.roundedUp ? Sw.C1 : 0)).toString(16)}`;

/** tan x correctly rounded after the host's exact reduction x = k pi/2 + r (none below 2^-6). */
function correctlyRounded(a: F80, env: FpEnv): { res: F80; re: number } {
  const f = finite(a);
  const [r, k] = reduceHalfPi(f.sig, f.scale);
  const p = 300;
  const [s, c] = sinCosP(r.m << BigInt(p + r.e), p);
  // tan(k pi/2 + r) is tan r for even k and -cot r for odd k; the quotient is never exact.
  const [num, den] = k & 1 ? [-c, s] : [s, c];
  const neg = num < 0n !== den < 0n;
  const q = ((num < 0n ? -num : num) << 230n) / (den < 0n ? -den : den);
  const rAbs = r.m < 0n ? -r.m : r.m;
  return {
    res: roundExtended(a.sign ^ (neg ? 1 : 0), (q << 1n) | 1n, -231, env),
    re: r.e + bitLength(rAbs) - 1,
  };
}

const rows = new Map<string, { cases: number; model: number; correct: number }>();
samples.forEach((s, i) => {
  const [se, m, sw] = out[i].split(' ');
  const want = `${se} ${m} ${(parseInt(sw, 16) & SW_COMPARED).toString(16)}`;
  const crEnv = envOf(s.cw);
  const cr = correctlyRounded(s.x, crEnv);
  const key = s.reduced ? `k pi/2 + r, r in 2^${cr.re}` : `x in 2^${s.x.exp - EXP_BIAS}`;
  const row = rows.get(key) ?? { cases: 0, model: 0, correct: 0 };
  rows.set(key, row);
  row.cases++;
  const env = envOf(s.cw);
  const r = ftan(s.x, env);
  if (r !== null && outcome(r, env) === want) row.model++;
  if (outcome(cr.res, crEnv) === want) row.correct++;
});
let model = 0;
let correct = 0;
console.log('binade: matches with the host (core/fpu, correctly rounded tan) of cases');
for (const [key, r] of rows) {
  console.log(`  ${key}: ${r.model} and ${r.correct} of ${r.cases}`);
  model += r.model;
  correct += r.correct;
}
console.log(`  all: ${model} and ${correct} of ${samples.length}`);
