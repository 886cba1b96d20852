// Compares core/simd/rcp.ts with the host CPU's RCPPS and RSQRTPS (probe.c), input by input.
// Not part of CI: another CPU computes other approximations. Usage:
//   npx tsx tests/harness-sse/rcp/check.ts          # every significand of 1 <= x < 4, under four MXCSR values
//   npx tsx tests/harness-sse/rcp/check.ts --all    # every 32-bit input (about 3 CPU-minutes)
// Prints the mismatches per instruction (the first few in full) and exits 1 if there are any.
import { rcp32, rsqrt32 } from '../../../core/simd/rcp.ts';
import { HostProbe, hostCpu, type Approx } from './host.ts';

const MODEL: Record<Approx, (x: number) => number> = { rcp: rcp32, rsqrt: rsqrt32 };
const ONE = 0x3f800000; // 1.0f
const BINADE = 1 << 23;
const CHUNK = 1 << 24;
/** Default, and round toward zero with DAZ, FTZ, all exceptions masked and all flags already set. */
const MXCSRS = [0x1f80, 0xffbf, 0x3f80, 0x9fc0];
const hex = (v: number): string => v.toString(16).padStart(8, '0');

function compare(probe: HostProbe, op: Approx, first: number, count: number, mxcsr: number, shown: string[]): number {
  const host = probe.run(op, first, count, mxcsr);
  const model = MODEL[op];
  let bad = 0;
  for (let i = 0; i < count; i++) {
    const x = (first + i) >>> 0;
    const want = host[i]!;
    const got = model(x);
    if (got !== want) {
      bad++;
      if (shown.length < 10) shown.push(`${op} ${hex(x)} (MXCSR ${hex(mxcsr)}): host ${hex(want)}, model ${hex(got)}`);
    }
  }
  return bad;
}

function main(): void {
  const all = process.argv.includes('--all');
  const probe = new HostProbe();
  console.log(`host: ${hostCpu()}`);
  const shown: string[] = [];
  let total = 0;
  for (const op of ['rcp', 'rsqrt'] as const) {
    let bad = 0;
    let inputs = 0;
    if (all) {
      for (let first = 0; first < 2 ** 32; first += CHUNK) {
        bad += compare(probe, op, first, CHUNK, MXCSRS[0]!, shown);
        inputs += CHUNK;
      }
    } else {
      for (const mxcsr of MXCSRS) {
        bad += compare(probe, op, ONE, 2 * BINADE, mxcsr, shown);
        inputs += 2 * BINADE;
      }
    }
    console.log(`${op}: ${bad} mismatches in ${inputs} inputs`);
    total += bad;
  }
  for (const s of shown) console.log(s);
  process.exitCode = total ? 1 : 0;
}

main();
