// Checks the model of the host's F2XM1 (core/fpu/f2xm1-host.ts) against the host.
// Not part of the test suite: it needs the CPU the fixtures come from.
//   npx tsx tests/harness-x87/f2xm1-host.ts [random operands, default 40000] [seed]
// Random x with 0 < |x| < 1: 70 % spread evenly over the binades 2^-8 to 2^-1 (where the
// fixtures' F2XM1 operands lie and the rational's higher terms count), 18 % in the binades
// 2^-70 to 2^-9, 7 % tinier normals, 5 % denormals; both signs, every RC. f2xm1 of
// core/fpu/transcend.ts (result, C1 and flags) against the host, beside the correctly rounded
// 2^x - 1, per binade from 2^-8 up. The coefficients were derived and read with throwaway
// probes (tests/harness-x87/README.md "F2XM1: one rational over the whole range").
import { expm1P, ln2, mulP } from '../../core/fpu/bigmath.ts';
import { EXP_BIAS, type F80, finite, J_BIT } from '../../core/fpu/float80.ts';
import { FpEnv, roundExtended } from '../../core/fpu/round.ts';
import { Rc, Sw } from '../../core/fpu/status.ts';
import { f2xm1 } from '../../core/fpu/transcend.ts';
import { Rng } from './gen-cases.ts';
import { nativeOracle } from './native-oracle.ts';

const oracle = nativeOracle('unary-oracle');

/** Control words: all exceptions masked, 64-bit precision, RC nearest / down / up / toward zero. */
const CW = [0x037f, 0x077f, 0x0b7f, 0x0f7f];
const RCS = [Rc.Nearest, Rc.Down, Rc.Up, Rc.Zero];
/** C1 and the exception flags of the status word. */
const SW_MASK = 0x0200 | 0x3f;
/** The binades tallied one by one: 2^-8 to 2^-1. */
const UPPER = 8;

const count = Number(process.argv[2] ?? 40000);
const rng = new Rng(process.argv[3] ?? 'f2xm1-host');
const cases: { rc: number; x: F80 }[] = [];
for (let i = 0; i < count; i++) {
  const sign = rng.int(2);
  const r = rng.int(100);
  let x: F80;
  if (r < 5) x = { sign, exp: 0, mant: rng.bits(1 + rng.int(63)) | 1n };
  else if (r < 12) x = { sign, exp: 1 + rng.int(EXP_BIAS - 100), mant: J_BIT | rng.bits(63) };
  else if (r < 30) x = { sign, exp: EXP_BIAS - 70 + rng.int(62), mant: J_BIT | rng.bits(63) };
  else x = { sign, exp: EXP_BIAS - UPPER + rng.int(UPPER), mant: J_BIT | rng.bits(63) };
  cases.push({ rc: rng.int(4), x });
}
const input = cases
  .map(
    (c) => `${CW[c.rc].toString(16)} ${((c.x.sign << 15) | c.x.exp).toString(16)} ${c.x.mant.toString(16)}`,
  )
  .join('\n');
const lines = oracle(input + '\n', ['f2xm1']);

/** 2^x - 1 correctly rounded, with C1 and flags as ours. */
function correctlyRounded(x: F80, env: FpEnv): F80 {
  const f = finite(x);
  const p = 200 - f.scale;
  const fixed = f.sig << BigInt(f.scale + p);
  const v = expm1P(mulP(x.sign ? -fixed : fixed, ln2(p), p), p);
  return roundExtended(x.sign, ((v < 0n ? -v : v) << 1n) | 1n, -p - 1, env);
}

let model = 0;
let correct = 0;
const misses: string[] = [];
/** Model and correctly rounded matches per binade from 2^-8 up (index exponent + 8). */
const upper = Array.from({ length: UPPER }, () => ({ n: 0, model: 0, correct: 0 }));
cases.forEach((c, i) => {
  const [se, m, sw] = lines[i].split(' ').map((h) => BigInt('0x' + h));
  const host: F80 = { sign: Number(se >> 15n), exp: Number(se & 0x7fffn), mant: m };
  const same = (r: F80, env: FpEnv): boolean =>
    r.sign === host.sign &&
    r.exp === host.exp &&
    r.mant === host.mant &&
    ((env.flags | (env.roundedUp ? 0x200 : 0)) & SW_MASK) === (Number(sw) & SW_MASK);
  const env = new FpEnv(0x3f, RCS[c.rc], 64);
  const r = f2xm1(c.x, env) as F80;
  const tally = upper[c.x.exp - (EXP_BIAS - UPPER)] as (typeof upper)[number] | undefined;
  if (tally) tally.n++;
  if (same(r, env)) {
    model++;
    if (tally) tally.model++;
  } else if (misses.length < 10)
    misses.push(`${((c.x.sign << 15) | c.x.exp).toString(16)}:${c.x.mant.toString(16)} rc ${c.rc}`);
  const envC = new FpEnv(0x3f, RCS[c.rc], 64);
  const rC = correctlyRounded(c.x, envC);
  envC.flags |= Sw.PE;
  if (same(rC, envC)) {
    correct++;
    if (tally) tally.correct++;
  }
});
console.log(
  `${count} random operands, 0 < |x| < 1 (result, C1 and flags): core/fpu model ${model}, correctly rounded ${correct}`,
);
upper.forEach((t, i) =>
  console.log(`  binade 2^${i - UPPER}: ${t.n} operands, model ${t.model}, correctly rounded ${t.correct}`),
);
if (misses.length) console.log(`model misses: ${misses.join(', ')}`);
