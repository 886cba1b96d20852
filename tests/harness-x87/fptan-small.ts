// Measures how the host computes FPTAN of small operands (core/fpu/tan-small.ts) and checks
// the model against it. Not part of the test suite: it needs the CPU the fixtures come from.
//   npx tsx tests/harness-x87/fptan-small.ts [samples per binade, default 3000]
// 1. The side of x the result lies on is sign(RN68(m K) - m K) for the significand m, so for
//    m = 2^63 + 2^u it reads bit 60 - u of K (m K = 2^63 K + 2^u K, and 2^63 K is a multiple of
//    the rounding unit 2^61 of the product): bits 0-60 of K. Bits 61-65 (bit 65 set: K is in [1, 2)) are the ones that then
//    reproduce the host on random significands.
// 2. The model (smallTanDirection) against the host on random significands in the binades
//    2^-60, 2^-35 and 2^-34: the number of differences must be 0.
import { roundingSide, smallTanDirection } from '../../core/fpu/tan-small.ts';
import { Rng } from './gen-cases.ts';
import { nativeOracle } from './native-oracle.ts';

const oracle = nativeOracle('fptan-side');

const SIDE: Record<string, -1 | 0 | 1> = { '+': 1, '-': -1, '0': 0 };
function sides(e: number, sigs: bigint[]): (-1 | 0 | 1)[] {
  const out = oracle(sigs.map((m) => m.toString(16)).join('\n') + '\n', [String(e)]).join('');
  return [...out].map((c) => {
    if (!(c in SIDE)) throw new Error(`host gave '${c}'`);
    return SIDE[c];
  });
}

const J = 1n << 63n;
const low = sides(
  -60,
  Array.from({ length: 61 }, (_, u) => J + (1n << BigInt(u))),
);
let k = 0n;
low.forEach((s, u) => {
  if (s === 1) k |= 1n << BigInt(60 - u);
});
const rng = new Rng('fptan-small');
const samples = Number(process.argv[2] ?? 3000);
const random = (): bigint => J | rng.bits(63);
const probe = Array.from({ length: 200 }, random);
const want = sides(-60, probe);
const tops = Array.from({ length: 16 }, (_, t) => (BigInt(16 + t) << 61n) | k).filter((kk) =>
  probe.every((m, i) => roundingSide(m * kk) === want[i]),
);
console.log(`K x 2^65 from the host: ${tops.map((t) => '0x' + t.toString(16)).join(', ') || 'none fits'}`);
for (const e of [-60, -35, -34]) {
  const sigs = Array.from({ length: samples }, random);
  const host = sides(e, sigs);
  const diff = sigs.filter((m, i) => smallTanDirection(m, e - 63) !== host[i]).length;
  console.log(`binade 2^${e}: ${samples} significands, ${diff} differ from core/fpu/tan-small.ts`);
}
