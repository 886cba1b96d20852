// RCPPS/RCPSS and RSQRTPS/RSQRTSS special cases. The SDM (Vol. 2B RCPPS, RSQRTPS) bounds the
// error and leaves the value to the implementation; every expected value here was recorded on
// the AMD EPYC (family 1Ah) host with tests/harness-sse/rcp/probe.c, which core/simd/rcp.ts
// follows (the bulk of the inputs: the `rcp` fixture family and rcp/check.ts).
import { describe, expect, it } from 'vitest';
import { rcp32, rsqrt32 } from '../../core/simd/rcp.ts';
import { Mxcsr, MXCSR_RESET } from '../../core/simd/mxcsr.ts';
import { Cr4 } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, type TestVm } from '../lib/machine.ts';
import { runBlocks } from './system-lib.ts';

/** [input, RCPSS, RSQRTSS] as the host returned them. */
const HOST: [number, number, number, string][] = [
  [0x00000000, 0x7f800000, 0x7f800000, '+0: +infinity'],
  [0x80000000, 0xff800000, 0xff800000, '-0: -infinity (RSQRT too)'],
  [0x00000001, 0x7f800000, 0x7f800000, 'a denormal counts as zero, whatever DAZ'],
  [0x807fffff, 0xff800000, 0xff800000, 'a negative denormal: -infinity, not the indefinite'],
  [0x7f800000, 0x00000000, 0x00000000, '+infinity: +0'],
  [0xff800000, 0x80000000, 0xffc00000, '-infinity: -0; RSQRT the QNaN indefinite'],
  [0x7fc12345, 0x7fc12345, 0x7fc12345, 'a QNaN passes'],
  [0x7f800001, 0x7fc00001, 0x7fc00001, 'an SNaN is quieted'],
  [0xff812345, 0xffc12345, 0xffc12345, 'a negative SNaN keeps its sign and payload'],
  [0x3f800000, 0x3f7ff000, 0x3f7ff800, '1.0: just below 1, not 1'],
  [0x3f7fffff, 0x3f800000, 0x3f800000, 'just below 1.0: exactly 1'],
  [0xbf800000, 0xbf7ff000, 0xffc00000, '-1.0; RSQRT of a negative: indefinite'],
  [0x3fc00000, 0x3f2aa800, 0x3f510800, '1.5'],
  [0xbdcccccd, 0xc1200000, 0xffc00000, '-0.1: -10 exactly'],
  [0x40000000, 0x3efff000, 0x3f350000, '2.0'],
  [0x40490fdb, 0x3ea2f800, 0x3f107000, 'pi'],
  [0x00800000, 0x7e7ff000, 0x5efff800, 'the smallest normal: no overflow'],
  [0x7e7fffff, 0x00800000, 0x20000000, 'the largest input with a normal reciprocal'],
  [0x7e7ff000, 0x00800800, 0x20000000, 'a reciprocal one step above the smallest normal'],
  [0x7e800000, 0x00000000, 0x1ffff800, '2^126: the reciprocal is tiny and flushes to +0, whatever FTZ'],
  [0xff7fffff, 0x80000000, 0xffc00000, 'the most negative normal: -0'],
  [0x7f7fffff, 0x00000000, 0x1f800000, 'the largest normal'],
  [0x7f000000, 0x00000000, 0x1fb50000, '2^127'],
];

describe('the host approximations, special and sample inputs (core/simd/rcp.ts)', () => {
  it.each(HOST)('%#: %s', (x, rcp, rsqrt) => {
    expect(rcp32(x).toString(16)).toBe(rcp.toString(16));
    expect(rsqrt32(x).toString(16)).toBe(rsqrt.toString(16));
  });
});

const CODE = 0x1000;
const DATA = 0x3000;
const MXCSR_IN = DATA + 0x40;
const MXCSR_OUT = DATA + 0x44;
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

/** ldmxcsr; movups xmm2, [DATA]; rcpps xmm1, xmm2; rsqrtps xmm3, xmm2; rcpss xmm4, [DATA]; rsqrtss xmm5, [DATA]; stmxcsr; hlt. */
const PROGRAM = [
  ...[0x0f, 0xae, 0x15, ...le32(MXCSR_IN)],
  ...[0x0f, 0x10, 0x15, ...le32(DATA)],
  ...[0x0f, 0x53, 0xca],
  ...[0x0f, 0x52, 0xda],
  ...[0xf3, 0x0f, 0x53, 0x25, ...le32(DATA)],
  ...[0xf3, 0x0f, 0x52, 0x2d, ...le32(DATA)],
  ...[0x0f, 0xae, 0x1d, ...le32(MXCSR_OUT)],
  0xf4,
];
const MARKER = 0x1111111122222222n;

function lanes(vm: TestVm, n: number): number[] {
  const s = vm.vcpu.cpu.state;
  return [s.get64('xmm', 2 * n), s.get64('xmm', 2 * n + 1)].flatMap((q) => [Number(q & 0xffffffffn), Number(q >> 32n)]);
}

/** Runs PROGRAM on four inputs under an MXCSR; returns [RCPPS, RSQRTPS, RCPSS, RSQRTSS lanes, MXCSR after]. */
function run(inputs: number[], mxcsr: number): { rcpps: number[]; rsqrtps: number[]; rcpss: number[]; rsqrtss: number[]; mxcsr: number } {
  const vm = createTestVm();
  vm.load(CODE, PROGRAM);
  vm.load(DATA, [...inputs.flatMap(le32), ...new Array<number>(0x30).fill(0), ...le32(mxcsr)]);
  enterFlat32(vm, CODE);
  const s = vm.vcpu.cpu.state;
  s.setLo('cr4', Cr4.OSFXSR | Cr4.OSXMMEXCPT);
  vm.vcpu.cpu.refreshMode();
  for (const n of [4, 5]) {
    s.set64('xmm', MARKER, 2 * n);
    s.set64('xmm', MARKER, 2 * n + 1);
  }
  expect(runBlocks(vm, CODE).vector).toBeUndefined();
  const out = vm.ram[MXCSR_OUT]! | (vm.ram[MXCSR_OUT + 1]! << 8);
  return { rcpps: lanes(vm, 1), rsqrtps: lanes(vm, 3), rcpss: lanes(vm, 4), rsqrtss: lanes(vm, 5), mxcsr: out };
}

const MODES: [string, number][] = [
  ['the reset MXCSR', MXCSR_RESET],
  ['DAZ and FTZ', MXCSR_RESET | Mxcsr.DAZ | Mxcsr.FTZ],
  ['round toward zero', MXCSR_RESET | Mxcsr.RC_MASK],
  ['round up, all exceptions unmasked', 2 << Mxcsr.RC_SHIFT],
];

describe('RCPPS RSQRTPS RCPSS RSQRTSS in a guest: MXCSR changes nothing, no flags, no #XM', () => {
  it.each(MODES)('%s', (_name, mxcsr) => {
    for (let i = 0; i < HOST.length; i += 4) {
      const group = HOST.slice(i, i + 4);
      while (group.length < 4) group.push(HOST[0]!);
      const r = run(group.map((h) => h[0]), mxcsr);
      expect(r.rcpps).toEqual(group.map((h) => h[1]));
      expect(r.rsqrtps).toEqual(group.map((h) => h[2]));
      // The scalar forms write lane 0 only (SDM Vol. 2B RCPSS: bits 127:32 unchanged).
      expect(r.rcpss).toEqual([group[0]![1], 0x11111111, 0x22222222, 0x11111111]);
      expect(r.rsqrtss).toEqual([group[0]![2], 0x11111111, 0x22222222, 0x11111111]);
      expect(r.mxcsr).toBe(mxcsr);
    }
  });
});
