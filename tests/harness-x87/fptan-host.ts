// Checks FPTAN of operands in [2^-33, 2^-18) (core/fpu/tan-poly.ts, the host's ratio of two
// 68-bit values) against the host, and counts how often the correctly rounded tangent would
// have matched instead. Not part of the test suite: it needs the CPU the fixtures come from.
//   npx tsx tests/harness-x87/fptan-host.ts [samples per binade, default 1400]
// Random significands in every binade from 2^-33 to 2^-19, both signs, every RC (and precision
// control, which FPTAN ignores), exception masks all set. A sample matches when the tangent's
// bits and the status word's exception flags and C1 equal the host's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sinCosP } from '../../core/fpu/bigmath.ts';
import { EXP_BIAS, type F80, finite } from '../../core/fpu/float80.ts';
import { FpEnv, roundExtended } from '../../core/fpu/round.ts';
import { Sw } from '../../core/fpu/status.ts';
import { ftan } from '../../core/fpu/transcend.ts';
import { Rng } from './gen-cases.ts';

const here = new URL('.', import.meta.url).pathname;
const exe = join(mkdtempSync(join(tmpdir(), 'fptan-')), 'fptan-oracle');
execFileSync('gcc', ['-O1', '-o', exe, join(here, 'native/fptan-oracle.c')]);

const FIRST_EXP = -33;
const LAST_EXP = -19;
/** The status-word bits compared: the exception flags and C1. */
const SW_COMPARED = 0x3f | Sw.C1;

const rng = new Rng('fptan-host');
const perBinade = Number(process.argv[2] ?? 1400);
const samples: { cw: number; x: F80 }[] = [];
for (let e = FIRST_EXP; e <= LAST_EXP; e++)
  for (let i = 0; i < perBinade; i++)
    samples.push({ cw: 0x007f | (rng.pick([0, 2, 3]) << 8) | (rng.int(4) << 10), x: { sign: rng.int(2), exp: EXP_BIAS + e, mant: (1n << 63n) | rng.bits(63) } });

const hex = (a: F80): string => `${((a.sign << 15) | a.exp).toString(16).padStart(4, '0')} ${a.mant.toString(16).padStart(16, '0')}`;
const out = execFileSync(exe, { input: samples.map((s) => `${s.cw.toString(16)} ${hex(s.x)}\n`).join(''), maxBuffer: 1 << 26 })
  .toString()
  .trim()
  .split('\n');
const envOf = (cw: number): FpEnv => new FpEnv(cw & 0x3f, (cw >> 10) & 3, 64);
const outcome = (r: F80, env: FpEnv): string => `${hex(r)} ${((env.flags & 0x3f) | (env.roundedUp ? Sw.C1 : 0)).toString(16)}`;

/** tan x correctly rounded (|x| < 2^-18: no reduction). */
function correctlyRounded(a: F80, env: FpEnv): F80 {
  const f = finite(a);
  const p = 200 - f.scale;
  const [s, c] = sinCosP(f.sig << BigInt(p + f.scale), p);
  const q = (s << 130n) / c;
  return roundExtended(a.sign, (q << 1n) | 1n, -131, env);
}

const rows = new Map<number, { cases: number; model: number; correct: number }>();
samples.forEach((s, i) => {
  const e = s.x.exp - EXP_BIAS;
  const row = rows.get(e) ?? { cases: 0, model: 0, correct: 0 };
  rows.set(e, row);
  row.cases++;
  const [se, m, sw] = out[i].split(' ');
  const want = `${se} ${m} ${(parseInt(sw, 16) & SW_COMPARED).toString(16)}`;
  const env = envOf(s.cw);
  const r = ftan(s.x, env);
  if (r !== null && outcome(r, env) === want) row.model++;
  const crEnv = envOf(s.cw);
  if (outcome(correctlyRounded(s.x, crEnv), crEnv) === want) row.correct++;
});
let model = 0;
let correct = 0;
console.log('binade: matches with the host (core/fpu, correctly rounded tan) of cases');
for (const [e, r] of rows) {
  console.log(`  2^${e}: ${r.model} and ${r.correct} of ${r.cases}`);
  model += r.model;
  correct += r.correct;
}
console.log(`  all: ${model} and ${correct} of ${samples.length}`);
