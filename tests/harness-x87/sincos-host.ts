// Measures FSIN and FCOS against the host: core/fpu/sincos-host.ts (the host's polynomials)
// and the correctly rounded value, on random operands of every binade from 2^-40 to 2^62,
// both signs, all four RC. Not part of the test suite: it needs the CPU the fixtures come from.
//   npx tsx tests/harness-x87/sincos-host.ts [samples per binade and function, default 200] [first binade, default -40]
// A result matches when the value, C1 and the flags all equal the host's.
import { sinCosP } from '../../core/fpu/bigmath.ts';
import { type F80, finite } from '../../core/fpu/float80.ts';
import { FpEnv, roundExtended } from '../../core/fpu/round.ts';
import { reduceHalfPi } from '../../core/fpu/sincos-host.ts';
import { Rc } from '../../core/fpu/status.ts';
import { fcos, fsin } from '../../core/fpu/transcend.ts';
import { Rng } from './gen-cases.ts';
import { nativeOracle } from './native-oracle.ts';

const oracle = nativeOracle('sincos-oracle');

const RCS = [Rc.Nearest, Rc.Down, Rc.Up, Rc.Zero];
const C1 = 0x200;
const FLAGS = 0x3f;

/** sin or cos of x correctly rounded, after the same exact reduction by the 66-bit pi/2. */
function correctlyRounded(which: 0 | 1, a: F80, env: FpEnv): F80 {
  const f = finite(a);
  const [r, q] = reduceHalfPi(f.sig, f.scale);
  const p = 256 + Math.max(0, -f.scale);
  const [s, c] = sinCosP(r.m << BigInt(p + r.e), p);
  const n = (q + which) & 3;
  let v = n & 1 ? c : s;
  if (n & 2) v = -v;
  if (a.sign && which === 0) v = -v;
  const sign = v < 0n ? 1 : 0;
  return roundExtended(sign, ((sign ? -v : v) << 1n) | 1n, -p - 1, env);
}

const rng = new Rng('sincos-host');
const perBinade = Number(process.argv[2] ?? 200);
const FIRST_BINADE = Number(process.argv[3] ?? -40);
for (const [name, which] of [
  ['fsin', 0],
  ['fcos', 1],
] as const) {
  const xs: F80[] = [];
  for (let e = FIRST_BINADE; e <= 62; e++)
    for (let i = 0; i < perBinade; i++)
      xs.push({ sign: rng.int(2), exp: 0x3fff + e, mant: (1n << 63n) | rng.bits(63) });
  const input =
    xs
      .map((x) => `${name.slice(1)} ${(x.exp | (x.sign << 15)).toString(16)} ${x.mant.toString(16)}`)
      .join('\n') + '\n';
  const lines = oracle(input);
  const model = [0, 0, 0, 0];
  const cr = [0, 0, 0, 0];
  const missed = new Map<number, number>();
  xs.forEach((x, i) => {
    const w = lines[i].split(' ').map((h) => parseInt(h, 16));
    RCS.forEach((rc, j) => {
      const want: F80 = {
        sign: w[3 * j] >> 15,
        exp: w[3 * j] & 0x7fff,
        mant: BigInt('0x' + lines[i].split(' ')[3 * j + 1]),
      };
      const sw = w[3 * j + 2];
      const same = (got: F80, env: FpEnv): boolean =>
        got.sign === want.sign &&
        got.exp === want.exp &&
        got.mant === want.mant &&
        env.roundedUp === ((sw & C1) !== 0) &&
        env.flags === (sw & FLAGS);
      const e1 = new FpEnv(0x3f, rc, 64);
      const m = (which ? fcos : fsin)(x, e1);
      if (m !== null && same(m, e1)) model[j]++;
      else missed.set(x.exp - 0x3fff, (missed.get(x.exp - 0x3fff) ?? 0) + 1);
      const e2 = new FpEnv(0x3f, rc, 64);
      if (same(correctlyRounded(which, x, e2), e2)) cr[j]++;
    });
  });
  const sum = (v: number[]): number => v.reduce((s, n) => s + n, 0);
  console.log(
    `${name}: ${xs.length} operands x 4 RC (nearest/down/up/zero): core/fpu/sincos-host.ts matches ${sum(model)} (${model.join('/')}), correctly rounded ${sum(cr)} (${cr.join('/')}) of ${4 * xs.length}`,
  );
  console.log(
    `  binades where the model differs (exponent: results): ${[...missed].map(([e, n]) => `${e}: ${n}`).join(', ')}`,
  );
}
