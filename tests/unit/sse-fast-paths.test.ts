// The Wasm fast paths of SSE float instructions against the host CPU at the edges of their
// conditions, where the exact helper must take over (values recorded with gcc -m32 on the
// host, noted at each case; SDM Vol. 1 4.9.1.5: underflow is detected on the result rounded
// with an unbounded exponent).
import { describe, expect, it } from 'vitest';
import { Cr4 } from '../../core/cpu/registers.ts';
import { ExitSignal } from '../../core/cpu/faults.ts';
import { ExitReason } from '../../core/kvm/exit-reason.ts';
import { createTestVm, enterFlat32, type TestVm } from '../lib/machine.ts';

const CODE = 0x1000;

function runSse(code: number[], mxcsr: number, regs: Record<number, [bigint, bigint]>, vm = createTestVm()): TestVm {
  vm.load(CODE, [...code, 0xf4]);
  enterFlat32(vm, CODE);
  const cpu = vm.vcpu.cpu;
  cpu.state.setLo('cr4', Cr4.OSFXSR | Cr4.OSXMMEXCPT);
  cpu.state.setU32('mxcsr', mxcsr);
  for (const [n, [lo, hi]] of Object.entries(regs)) {
    cpu.state.set64('xmm', lo, 2 * Number(n));
    cpu.state.set64('xmm', hi, 2 * Number(n) + 1);
  }
  cpu.refreshMode();
  cpu.phys.refresh();
  try {
    for (let i = 0; i < 10; i++) cpu.lookup(false).run();
  } catch (e) {
    if (!(e instanceof ExitSignal && e.reason === ExitReason.HLT)) throw e;
    return vm;
  }
  throw new Error('no HLT');
}

const xmm = (vm: TestVm, n: number): [bigint, bigint] => [vm.vcpu.cpu.state.get64('xmm', 2 * n), vm.vcpu.cpu.state.get64('xmm', 2 * n + 1)];
const mxcsr = (vm: TestVm): number => vm.vcpu.cpu.state.getU32('mxcsr');

/** 2^-126 * (1 - 2^-24 + 2^-26): below FLT_MIN, rounds to FLT_MIN in single, tiny with an unbounded exponent. */
const BELOW_FLT_MIN = 0x380fffffe8000000n;

describe('double to single just below FLT_MIN (host: 00800000 with UE and PE; 0 under FTZ)', () => {
  // cvtsd2ss xmm0, xmm1 (f2 0f 5a c1); cvtpd2ps xmm0, xmm1 (66 0f 5a c1)
  for (const [name, code, result] of [
    ['cvtsd2ss', [0xf2, 0x0f, 0x5a, 0xc1], 0x00800000n],
    ['cvtpd2ps', [0x66, 0x0f, 0x5a, 0xc1], 0x00800000_00800000n],
  ] as const) {
    it(`${name}, default MXCSR`, () => {
      const vm = runSse([...code], 0x1f80, { 0: [0n, 0n], 1: [BELOW_FLT_MIN, BELOW_FLT_MIN] });
      expect(xmm(vm, 0)[0]).toBe(result);
      expect(mxcsr(vm)).toBe(0x1fb0);
    });
    it(`${name}, FTZ`, () => {
      const vm = runSse([...code], 0x9f80, { 0: [0n, 0n], 1: [BELOW_FLT_MIN, BELOW_FLT_MIN] });
      expect(xmm(vm, 0)[0]).toBe(0n);
      expect(mxcsr(vm)).toBe(0x9fb0);
    });
  }
});

describe('16-byte memory operands: one TLB entry, or two quadwords across a page', () => {
  it('loads and stores within a page and across page boundaries, cold and with the TLB filled', () => {
    // mov ecx, 2; l: movups xmm0, [2FF8H]; movups [3FF9H], xmm0; movaps xmm1, [2000H]; movaps [5000H], xmm1; dec ecx; jnz l; hlt
    const code = [...Buffer.from('b9020000000f1005f82f00000f1105f93f00000f280d002000000f290d005000004975e1', 'hex')];
    const vm = createTestVm();
    const pattern = Array.from({ length: 16 }, (_, i) => 0x10 + i);
    const other = Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    vm.load(0x2ff8, pattern);
    vm.load(0x2000, other);
    const out = runSse(code, 0x1f80, {}, vm);
    expect([...vm.ram.subarray(0x3ff9, 0x3ff9 + 16)]).toEqual(pattern);
    expect([...vm.ram.subarray(0x5000, 0x5000 + 16)]).toEqual(other);
    const le = (bytes: number[]): bigint => bytes.reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n);
    expect(xmm(out, 0)).toEqual([le(pattern.slice(0, 8)), le(pattern.slice(8))]);
    expect(xmm(out, 1)).toEqual([le(other.slice(0, 8)), le(other.slice(8))]);
  });
});
