// Measures how the host forms log2 for FYL2X and FYL2XP1 (core/fpu/ylog-host.ts) and checks
// the model against it. Not part of the test suite: it needs the CPU the fixtures come from.
//   npx tsx tests/harness-x87/ylog-host.ts [random operands per instruction, default 20000]
//   npx tsx tests/harness-x87/ylog-host.ts --fit-tail [readings, default 18000]
// 1. Reading the internal L: with y = 1, RC = up and RC = down agree exactly when L is on the
//    64-bit grid; with y = 1 + j 2^-63 and RC = toward zero the result is trunc64(y L), whose
//    last bit depends on the 4 bits of L below the 64-bit result for a j that puts a carry
//    boundary among them. Each round picks the j that best splits the candidates
//    L = (16 A + f) 2^(e - 67), f = 0..15 (A = trunc64(L)); no candidate left would mean that L
//    is not on the 68-bit grid or that y × L is not rounded once. The L read this way is
//    compared with the model's and with the exact log2 rounded to 68 bits.
// 2. The constant C: FYL2XP1 of |x| < 2^-70 gives L = RN68(x C); the 66-bit C of the model and
//    its neighbours one unit of the 66th bit away are checked on the L read there.
// 3. Random x (some of any exponent, some denormal), random y (some of any exponent, so that
//    results overflow and underflow), every RC: fyl2x and fyl2xp1 of core/fpu/transcend.ts
//    against the host (result, C1 and flags), beside the correctly rounded y × log2(x).
// 4. --fit-tail: the correction of the host's tail polynomial (TAIL_CORRECTION in
//    core/fpu/ylog-host.ts) fitted to readings of L; it prints the table.
import { atanhSeries, divP, ln2, lnP, one } from '../../core/fpu/bigmath.ts';
import { bitLength, EXP_BIAS, type F80, finite, J_BIT } from '../../core/fpu/float80.ts';
import { FpEnv, roundExtended } from '../../core/fpu/round.ts';
import { Rc, Sw } from '../../core/fpu/status.ts';
import { fyl2x, fyl2xp1 } from '../../core/fpu/transcend.ts';
import {
  type HostReal,
  hostLog2,
  hostLog2p1,
  log2p1Steps,
  log2Steps,
  seriesTail,
  TAIL_P,
} from '../../core/fpu/ylog-host.ts';
import { Rng } from './gen-cases.ts';
import { nativeOracle } from './native-oracle.ts';

const oracle = nativeOracle('ylog-oracle');

const enum Op {
  Fyl2x = 0,
  Fyl2xp1 = 1,
}
/** Control words: all exceptions masked, 64-bit precision, RC nearest / down / up / toward zero. */
const CW = [0x037f, 0x077f, 0x0b7f, 0x0f7f];
const RCS = [Rc.Nearest, Rc.Down, Rc.Up, Rc.Zero];
interface Case {
  op: Op;
  rc: number;
  x: F80;
  y: F80;
}
interface HostOut {
  r: F80;
  sw: number;
}

function host(cases: Case[]): HostOut[] {
  const hex = (v: number | bigint): string => v.toString(16);
  const input =
    cases
      .map((c) =>
        [c.op, CW[c.rc], (c.x.sign << 15) | c.x.exp, c.x.mant, (c.y.sign << 15) | c.y.exp, c.y.mant]
          .map(hex)
          .join(' '),
      )
      .join('\n') + '\n';
  const out = oracle(input);
  return out.map((line) => {
    const [se, m, sw] = line.split(' ').map((t) => BigInt('0x' + t));
    return { r: { sign: Number(se >> 15n), exp: Number(se & 0x7fffn), mant: m }, sw: Number(sw) };
  });
}

const ONE: F80 = { sign: 0, exp: EXP_BIAS, mant: J_BIT };
const same = (a: F80, b: F80): boolean => a.sign === b.sign && a.exp === b.exp && a.mant === b.mant;

/** The host's L for each x, read as described above (undefined: no candidate is consistent). */
function readL(op: Op, xs: F80[], rng: Rng): (HostReal | undefined)[] {
  const at = (rc: number, y: F80): HostOut[] => host(xs.map((x) => ({ op, rc, x, y })));
  const [down, up, zero] = [at(1, ONE), at(2, ONE), at(3, ONE)];
  const cands = xs.map((_, i) =>
    same(up[i].r, down[i].r) ? [0n] : Array.from({ length: 15 }, (_, f) => BigInt(f + 1)),
  );
  // trunc64((2^63 + j)(16 A + f)) as [significand, bit length].
  const trunc = (j: bigint, a: bigint, f: bigint): [bigint, number] => {
    const v = ((1n << 63n) + j) * (16n * a + f);
    const n = bitLength(v);
    return [v >> BigInt(n - 64), n];
  };
  for (let round = 0; round < 24; round++) {
    const open = xs.map((_, i) => i).filter((i) => cands[i].length > 1);
    if (open.length === 0) break;
    // Fresh multipliers every round, so that no pair of candidates stays unsplit for want of one.
    const pool = Array.from({ length: 128 }, () => 1n + rng.bits(62));
    const js = open.map((i) => {
      const a = zero[i].r.mant;
      const c = cands[i];
      let best = pool[0];
      let bestScore = -1;
      for (const j of pool) {
        // trunc64 grows with f: find where it leaves the first candidate's value.
        const first = trunc(j, a, c[0])[0];
        let lo = 0;
        let hi = c.length;
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          if (trunc(j, a, c[mid])[0] === first) lo = mid;
          else hi = mid;
        }
        const score = Math.min(hi, c.length - hi);
        if (score > bestScore) [best, bestScore] = [j, score];
      }
      return best;
    });
    const res = host(
      open.map((i, k) => ({ op, rc: 3, x: xs[i], y: { sign: 0, exp: EXP_BIAS, mant: J_BIT + js[k] } })),
    );
    open.forEach((i, k) => {
      const a = zero[i].r.mant;
      const baseExp = zero[i].r.exp;
      cands[i] = cands[i].filter((f) => {
        const [q, n] = trunc(js[k], a, f);
        return q === res[k].r.mant && baseExp + n - 131 === res[k].r.exp;
      });
    });
  }
  return xs.map((_, i) =>
    cands[i].length === 1
      ? {
          neg: zero[i].r.sign === 1,
          q: 16n * zero[i].r.mant + cands[i][0],
          exp: zero[i].r.exp - EXP_BIAS - 67,
        }
      : undefined,
  );
}

/** Exact log2(x) (FYL2X) or log2(1 + x) (FYL2XP1) in fixed point at p, for the references. */
function exactLog(op: Op, x: F80, p: number): bigint {
  const { sig, scale } = finite(x);
  const log2Of = (m: bigint, s: number): bigint => {
    const n = bitLength(m);
    const frac = divP(lnP(m << BigInt(p - n + 1), p), ln2(p), p);
    return (BigInt(s + n - 1) << BigInt(p)) + frac;
  };
  if (op === Op.Fyl2x) return log2Of(sig, scale);
  if (scale + bitLength(sig) - 1 >= -2) {
    const low = Math.min(0, scale);
    return log2Of((1n << BigInt(-low)) + ((x.sign ? -sig : sig) << BigInt(scale - low)), low);
  }
  const xf = (x.sign ? -sig : sig) << BigInt(p + scale);
  return divP(2n * atanhSeries(divP(xf, 2n * one(p) + xf, p), p), ln2(p), p);
}

/** RN68 of a fixed-point value v / 2^p (not exact: a sticky bit decides ties). */
function rn68Fixed(v: bigint, p: number): HostReal {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const shift = bitLength(a) - 68;
  const half = 1n << BigInt(shift - 1);
  let q = a >> BigInt(shift);
  const rem = a - (q << BigInt(shift));
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  return { neg, q, exp: shift - p };
}

const equalReal = (a: HostReal, b: HostReal): boolean => {
  if (a.q === 0n || b.q === 0n) return a.q === b.q;
  const s = Math.min(a.exp, b.exp);
  return a.neg === b.neg && a.q << BigInt(a.exp - s) === b.q << BigInt(b.exp - s);
};

const rng = new Rng('ylog-host');
const sig = (): bigint => J_BIT | rng.bits(63);
const xOf = (op: Op): F80 =>
  op === Op.Fyl2x
    ? { sign: 0, exp: EXP_BIAS - 30 + rng.int(61), mant: sig() }
    : { sign: rng.int(2), exp: EXP_BIAS - 3 - rng.int(82), mant: sig() };
/** Operands of every kind for step 3: mostly those above, some of any exponent, some denormal. */
function wideXOf(op: Op): F80 {
  const r = rng.int(20);
  const sign = op === Op.Fyl2x ? 0 : rng.int(2);
  if (r === 0) return { sign, exp: 0, mant: rng.bits(1 + rng.int(63)) || 1n };
  if (r === 1) return { sign: 0, exp: 1 + rng.int(0x7ffe), mant: sig() };
  if (r === 2) return { sign, exp: 1 + rng.int(EXP_BIAS - 2), mant: sig() };
  // FYL2XP1 beyond its documented range: |x| in [1/4, 1), x > -1.
  if (r <= 4 && op === Op.Fyl2xp1) return { sign, exp: EXP_BIAS - 1 - rng.int(2), mant: sig() };
  return xOf(op);
}
/** No log2(1 + x) for x <= -1 (not generated by xOf). */
const NO_LOG: HostReal = { neg: false, q: 0n, exp: 0 };
const modelL = (op: Op, x: F80): HostReal =>
  op === Op.Fyl2x
    ? hostLog2(x.mant, x.exp - EXP_BIAS - 63)
    : (hostLog2p1(x.sign === 1, x.mant, x.exp - EXP_BIAS - 63) ?? NO_LOG);

/** 1. The host's L against the model's and RN68 of the exact log2. */
function readings(): void {
  for (const op of [Op.Fyl2x, Op.Fyl2xp1]) {
    const name = op === Op.Fyl2x ? 'FYL2X' : 'FYL2XP1';
    const xs = Array.from({ length: 300 }, () => xOf(op));
    const ls = readL(op, xs, rng);
    const read = ls.filter((l) => l !== undefined).length;
    const model = xs.filter((x, i) => ls[i] !== undefined && equalReal(ls[i], modelL(op, x))).length;
    const rn = xs.filter(
      (x, i) => ls[i] !== undefined && equalReal(ls[i], rn68Fixed(exactLog(op, x, 400), 400)),
    ).length;
    console.log(
      `${name}: L read for ${read} of ${xs.length} operands; the model's L equals it for ${model}, RN68(exact log2) for ${rn}`,
    );
  }
}

/** 2. C from FYL2XP1 of tiny x: L = RN68(x C) (C × 2^65 = 0x2e2a8eca5705fc2ef). */
function constant(): void {
  const xs = Array.from({ length: 200 }, (): F80 => ({
    sign: rng.int(2),
    exp: EXP_BIAS - 71 - rng.int(40),
    mant: sig(),
  }));
  const ls = readL(Op.Fyl2xp1, xs, rng);
  for (const c of [0x2_e2a8_eca5_705f_c2een, 0x2_e2a8_eca5_705f_c2efn, 0x2_e2a8_eca5_705f_c2f0n]) {
    const fits = xs.filter((x, i) => {
      const l = ls[i];
      if (l === undefined) return false;
      const v = (x.sign ? -x.mant : x.mant) * c;
      return equalReal(l, rn68Fixed(v, -(x.exp - EXP_BIAS - 63 - 65)));
    }).length;
    console.log(
      `C x 2^65 = 0x${c.toString(16)}: RN68(x C) is the host's L for ${fits} of ${xs.length} operands below 2^-70`,
    );
  }
}

/** 3. Results: the model (core/fpu/transcend.ts) and correct rounding against the host. */
function results(samples: number): void {
  for (const op of [Op.Fyl2x, Op.Fyl2xp1]) {
    const cases = Array.from({ length: samples }, (): Case => {
      const y = {
        sign: rng.int(2),
        exp: rng.chance(0.05) ? 1 + rng.int(0x7ffe) : EXP_BIAS - 20 + rng.int(41),
        mant: sig(),
      };
      return { op, rc: rng.int(4), x: wideXOf(op), y };
    });
    const out = host(cases);
    let model = 0;
    let flags = 0;
    let cr = 0;
    cases.forEach((c, i) => {
      const c1 = (out[i].sw & Sw.C1) !== 0;
      const env = new FpEnv(0x3f, RCS[c.rc], 64);
      const r = (op === Op.Fyl2x ? fyl2x : fyl2xp1)(c.x, c.y, env);
      if (r && same(r, out[i].r) && env.roundedUp === c1) model++;
      if ((env.flags & 0x3f) === (out[i].sw & 0x3f)) flags++;
      const p = 400 + (op === Op.Fyl2x ? 80 : Math.max(0, EXP_BIAS - c.x.exp));
      const l = exactLog(op, c.x, p);
      const crEnv = new FpEnv(0x3f, RCS[c.rc], 64);
      const m = ((l < 0n ? -l : l) * c.y.mant) << 1n;
      const want = roundExtended(c.y.sign ^ (l < 0n ? 1 : 0), m | 1n, c.y.exp - EXP_BIAS - 63 - p - 1, crEnv);
      if (same(want, out[i].r) && crEnv.roundedUp === c1) cr++;
    });
    const name = op === Op.Fyl2x ? 'FYL2X' : 'FYL2XP1';
    console.log(
      `${name}: ${samples} random x, y and RC: model ${model} match the host (result and C1; flags ${flags}), correct rounding ${cr}`,
    );
  }
}

/**
 * 4. The tail correction (TAIL_CORRECTION in core/fpu/ylog-host.ts): readings of L where no e
 * is added (FYL2X of x in [sqrt(1/2), sqrt 2), FYL2XP1 with |z| from 0.17 to 1/4) bound the
 * host's T(z) less the series to an interval each; an odd polynomial in z of degree 21 is
 * fitted to them by least squares on targets moved into their intervals, repeatedly.
 */
function fitTail(n: number): void {
  const ops: Op[] = [];
  const xs: F80[] = [];
  while (xs.length < n) {
    if (xs.length % 3 !== 2) {
      const m = sig();
      ops.push(Op.Fyl2x);
      xs.push({ sign: 0, exp: m * m > 1n << 127n ? EXP_BIAS - 1 : EXP_BIAS, mant: m });
      continue;
    }
    // x in (-0.4, -0.29) or (0.41, 2/3): 1 + x outside [sqrt(1/2), sqrt 2), |z| < 1/4.
    const x: F80 = rng.int(2)
      ? { sign: 1, exp: EXP_BIAS - 2, mant: sig() }
      : { sign: 0, exp: EXP_BIAS - 2 + rng.int(2), mant: sig() };
    const st = log2p1Steps(x.sign === 1, x.mant, x.exp - EXP_BIAS - 63);
    if (st && st.z.q !== 0n && Math.abs(realToNumber(st.z)) > 0.17 && st.z.exp + bitLength(st.z.q) - 1 < -2) {
      ops.push(Op.Fyl2xp1);
      xs.push(x);
    }
  }
  const rows: { t: number; lo: number; hi: number }[] = [];
  for (const op of [Op.Fyl2x, Op.Fyl2xp1]) {
    const mine = xs.filter((_, i) => ops[i] === op);
    const ls = readL(op, mine, rng);
    mine.forEach((x, i) => {
      const l = ls[i];
      const scale = x.exp - EXP_BIAS - 63;
      const st = op === Op.Fyl2x ? log2Steps(x.mant, scale) : log2p1Steps(x.sign === 1, x.mant, scale);
      if (l === undefined || st === undefined) return;
      // L = RN68(S + T): T lies within half a unit of L's last bit of L - S.
      const at = (v: HostReal): bigint => (v.neg ? -v.q : v.q) << BigInt(v.exp + TAIL_P);
      const base = at(l) - at(st.s) - seriesTail(st.z);
      const half = 1n << BigInt(l.exp + TAIL_P - 1);
      const units = (v: bigint): number => Number(v) / 2 ** (TAIL_P - 68);
      rows.push({ t: realToNumber(st.z) * 4, lo: units(base - half), hi: units(base + half) });
    });
  }
  const degrees = Array.from({ length: 10 }, (_, k) => 2 * k + 3);
  const basis = rows.map((r) => degrees.map((d) => r.t ** d));
  // Start from the interval midpoints weighted by 1 / width (narrow readings count most).
  let coef = leastSquares(
    basis.map((b, i) => b.map((v) => v / (rows[i].hi - rows[i].lo))),
    rows.map((r) => (r.lo + r.hi) / 2 / (r.hi - r.lo)),
  );
  const value = (i: number): number => basis[i].reduce((sum, v, k) => sum + v * coef[k], 0);
  for (let round = 0; round < 30; round++) {
    const target = rows.map((r, i) => Math.min(r.hi, Math.max(r.lo, value(i))));
    coef = leastSquares(basis, target);
  }
  const excess = rows.map((r, i) => Math.max(r.lo - value(i), value(i) - r.hi));
  const outside = excess.filter((e) => e > 0).length;
  const worst = Math.max(...excess).toFixed(4);
  console.log(
    `tail: ${rows.length} readings; the fit lies outside ${outside} of them, by at most ${worst} × 2^-68`,
  );
  // D(z) = sum c_d (4 z)^d × 2^-68 = sum K_d z^d × 2^-108 with K_d = c_d 4^d 2^40.
  degrees.forEach((d, k) => {
    const kd = BigInt(Math.round(coef[k] * 2 ** (2 * d + 40)));
    console.log(`  [${d}, ${kd < 0n ? '-' : ''}0x${(kd < 0n ? -kd : kd).toString(16)}n],`);
  });
}

/** A value as a double. */
const realToNumber = (v: HostReal): number => (v.neg ? -1 : 1) * Number(v.q) * 2 ** v.exp;

/** Least squares min |A c - b| by modified Gram-Schmidt (A tall, full column rank). */
function leastSquares(a: number[][], b: number[]): number[] {
  const n = a[0].length;
  const q = Array.from({ length: n }, (_, j) => a.map((row) => row[j]));
  const r = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const dot = (u: number[], v: number[]): number => u.reduce((sum, x, i) => sum + x * v[i], 0);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      r[k][j] = dot(q[k], q[j]);
      q[j] = q[j].map((x, i) => x - r[k][j] * q[k][i]);
    }
    r[j][j] = Math.sqrt(dot(q[j], q[j]));
    q[j] = q[j].map((x) => x / r[j][j]);
  }
  const qb = q.map((col) => dot(col, b));
  const c = new Array<number>(n).fill(0);
  for (let j = n - 1; j >= 0; j--)
    c[j] = (qb[j] - r[j].slice(j + 1).reduce((sum, x, k) => sum + x * c[j + 1 + k], 0)) / r[j][j];
  return c;
}

const fit = process.argv.indexOf('--fit-tail');
if (fit >= 0) fitTail(Number(process.argv[fit + 1] ?? 18000));
else {
  readings();
  constant();
  results(Number(process.argv[2] ?? 20000));
}
