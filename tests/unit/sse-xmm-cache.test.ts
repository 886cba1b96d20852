// XMM registers in Wasm locals within a block (jit/xmm-cache.ts): what the state in memory
// holds when a block leaves early, what helpers see, and values across several instructions
// of one block. Expected values: the SDM (a fault leaves the state before the faulting
// instruction, Vol. 3A 6.5; FXSAVE layout, Vol. 2A FXSAVE Table 3-43; an unmasked SIMD
// exception leaves the destination unchanged, Vol. 1 11.5.1) and runs on the host CPU
// (gcc -m32 with the same instruction sequences, noted at each case).
import { describe, expect, it } from 'vitest';
import { Cr0, Cr4, Vector } from '../../core/cpu/registers.ts';
import { ExitSignal, GuestFault } from '../../core/cpu/faults.ts';
import { ExitReason } from '../../core/kvm/exit-reason.ts';
import { Mxcsr } from '../../core/simd/mxcsr.ts';
import { createTestVm, enterFlat32, type TestVm } from '../lib/machine.ts';
import { XmmCache } from '../../jit/xmm-cache.ts';
import { FunctionBuilder } from '../../jit/wasm/encoder.ts';
import { longModeVm } from './long-mode-guest.ts';

const CODE = 0x1000;
const AREA = 0x4000;
/** FXSAVE image: MXCSR at byte 24, XMMn at 160 + 16n (SDM Vol. 2A FXSAVE, Table 3-43). */
const FX_MXCSR = 24;
const FX_XMM0 = 160;
const MXCSR_DEFAULT = 0x1f80;

const ONE = 0x3f800000_3f800000n;
const TWO = 0x40000000_40000000n;

function sseVm(code: number[]): TestVm {
  const vm = createTestVm();
  vm.load(CODE, code);
  enterFlat32(vm, CODE);
  vm.vcpu.cpu.state.setLo('cr4', Cr4.OSFXSR | Cr4.OSXMMEXCPT);
  vm.vcpu.cpu.state.setU32('mxcsr', MXCSR_DEFAULT);
  vm.vcpu.cpu.refreshMode();
  vm.vcpu.cpu.phys.refresh();
  return vm;
}

/** Runs blocks to HLT; returns what ended the run: 'hlt', a fault (with its offset in the block) or another exit. */
function run(vm: TestVm): 'hlt' | { vector: number; delta: number } | { exit: number } {
  const cpu = vm.vcpu.cpu;
  for (let i = 0; i < 100; i++) {
    try {
      cpu.lookup(false).run();
    } catch (e) {
      if (e instanceof ExitSignal) return e.reason === ExitReason.HLT ? 'hlt' : { exit: e.reason };
      if (e instanceof GuestFault) return { vector: e.vector, delta: e.delta };
      throw e;
    }
  }
  throw new Error('no HLT');
}

const xmm = (vm: TestVm, n: number): [bigint, bigint] => [vm.vcpu.cpu.state.get64('xmm', 2 * n), vm.vcpu.cpu.state.get64('xmm', 2 * n + 1)];
const setXmm = (vm: TestVm, n: number, lo: bigint, hi: bigint): void => {
  vm.vcpu.cpu.state.set64('xmm', lo, 2 * n);
  vm.vcpu.cpu.state.set64('xmm', hi, 2 * n + 1);
};
const le64 = (v: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
const read64 = (vm: TestVm, a: number): bigint => le64(0n).reduce((acc, _b, i) => acc | (BigInt(vm.ram[a + i]!) << BigInt(8 * i)), 0n);

// movaps xmm0, xmm1; addps xmm1, xmm1 (0f 28 c1, 0f 58 c9): the earlier instructions.
const EARLIER = [0x0f, 0x28, 0xc1, 0x0f, 0x58, 0xc9];

describe('a block that leaves early stores the XMM results of the instructions before', () => {
  it('#GP(0) on a misaligned 16-byte operand: earlier results stored, the faulting destination unchanged', () => {
    // ...; addps xmm2, [0x3001]; hlt
    const vm = sseVm([...EARLIER, 0x0f, 0x58, 0x15, 0x01, 0x30, 0x00, 0x00, 0xf4]);
    setXmm(vm, 1, ONE, ONE);
    setXmm(vm, 2, 5n, 6n);
    expect(run(vm)).toEqual({ vector: Vector.GP, delta: EARLIER.length });
    expect(xmm(vm, 0)).toEqual([ONE, ONE]);
    expect(xmm(vm, 1)).toEqual([TWO, TWO]);
    expect(xmm(vm, 2)).toEqual([5n, 6n]);
  });

  it('#XM from the exact helper (unmasked divide by zero): earlier results stored, the destination unchanged', () => {
    // ...; divps xmm2, xmm3 (0f 5e d3); hlt
    const vm = sseVm([...EARLIER, 0x0f, 0x5e, 0xd3, 0xf4]);
    vm.vcpu.cpu.state.setU32('mxcsr', MXCSR_DEFAULT & ~Mxcsr.ZM);
    setXmm(vm, 1, ONE, ONE);
    setXmm(vm, 2, ONE, ONE);
    setXmm(vm, 3, 0n, 0n);
    expect(run(vm)).toEqual({ vector: Vector.XM, delta: EARLIER.length });
    expect(xmm(vm, 0)).toEqual([ONE, ONE]);
    expect(xmm(vm, 1)).toEqual([TWO, TWO]);
    expect(xmm(vm, 2)).toEqual([ONE, ONE]);
    expect(vm.vcpu.cpu.state.getU32('mxcsr') & Mxcsr.ZE).toBe(Mxcsr.ZE);
  });

  it('an exit from a slow memory path (MMIO read beyond RAM): earlier results stored', () => {
    // ...; movups xmm3, [0x400000] (0f 10 1d imm32); hlt
    const vm = sseVm([...EARLIER, 0x0f, 0x10, 0x1d, 0x00, 0x00, 0x40, 0x00, 0xf4]);
    setXmm(vm, 1, ONE, ONE);
    setXmm(vm, 3, 7n, 8n);
    expect(run(vm)).toEqual({ exit: ExitReason.MMIO });
    expect(xmm(vm, 0)).toEqual([ONE, ONE]);
    expect(xmm(vm, 1)).toEqual([TWO, TWO]);
    expect(xmm(vm, 3)).toEqual([7n, 8n]);
  });
});

describe('a 16-byte store that crosses into a page it may not write', () => {
  it('#PF on the second page writes nothing on the first (SDM Vol. 3A 6.5: faults precede the instruction\'s effects)', () => {
    // movups [0x2fff8], xmm1 (0f 11 0d imm32); hlt, under 32-bit paging (SDM Vol. 3A 4.3)
    // identity-mapping the first 2 MiB except the page at 0x30000.
    const vm = sseVm([0x0f, 0x11, 0x0d, 0xf8, 0xff, 0x02, 0x00, 0xf4]);
    const s = vm.vcpu.cpu.state;
    const PD = 0x10000;
    const PT = 0x11000;
    const P_RW = 0x3;
    const le32 = (v: number): number[] => le64(BigInt(v)).slice(0, 4);
    vm.load(PD, le32(PT | P_RW));
    for (let i = 0; i < 512; i++) if (i !== 0x30) vm.load(PT + 4 * i, le32((i << 12) | P_RW));
    vm.load(0x2fff8, le64(0x1111111111111111n));
    s.setLo('cr3', PD);
    s.setLo('cr0', s.getLo('cr0') | Cr0.PG);
    vm.vcpu.cpu.mmu.flush();
    setXmm(vm, 1, 0x0123456789abcdefn, 0x7766554433221100n);
    let fault: unknown;
    try {
      vm.vcpu.cpu.lookup(false).run();
    } catch (e) {
      fault = e;
    }
    // Error code 2: not present, write, supervisor (SDM Vol. 3A 4.7).
    expect(fault).toEqual(new GuestFault(Vector.PF, 2, 0, 0x30000));
    expect(read64(vm, 0x2fff8)).toBe(0x1111111111111111n);
  });
});

describe('helpers and XMM registers held in locals', () => {
  it('FXSAVE sees the values written earlier in its block', () => {
    // ...; fxsave [0x4000] (0f ae 05 imm32); hlt
    const vm = sseVm([...EARLIER, 0x0f, 0xae, 0x05, ...le64(BigInt(AREA)).slice(0, 4), 0xf4]);
    setXmm(vm, 1, ONE, ONE);
    expect(run(vm)).toBe('hlt');
    expect([read64(vm, AREA + FX_XMM0), read64(vm, AREA + FX_XMM0 + 8)]).toEqual([ONE, ONE]);
    expect([read64(vm, AREA + FX_XMM0 + 16), read64(vm, AREA + FX_XMM0 + 24)]).toEqual([TWO, TWO]);
  });

  it('after FXRSTOR the block reads the restored values and does not write back its older ones', () => {
    // movaps xmm0, xmm1; fxrstor [0x4000] (0f ae 0d imm32); movaps xmm2, xmm0; hlt
    const vm = sseVm([0x0f, 0x28, 0xc1, 0x0f, 0xae, 0x0d, ...le64(BigInt(AREA)).slice(0, 4), 0x0f, 0x28, 0xd0, 0xf4]);
    setXmm(vm, 1, ONE, ONE);
    vm.load(AREA + FX_MXCSR, le64(BigInt(MXCSR_DEFAULT)).slice(0, 4));
    vm.load(AREA + FX_XMM0, [...le64(0x1111n), ...le64(0x2222n)]);
    vm.load(AREA + FX_XMM0 + 16, [...le64(0x3333n), ...le64(0x4444n)]);
    expect(run(vm)).toBe('hlt');
    expect(xmm(vm, 0)).toEqual([0x1111n, 0x2222n]);
    expect(xmm(vm, 1)).toEqual([0x3333n, 0x4444n]);
    expect(xmm(vm, 2)).toEqual([0x1111n, 0x2222n]);
  });

  it('the exact helper of ADDPS reads the destination an earlier instruction wrote (host CPU: 2.0, MXCSR 1FA2H)', () => {
    // addps xmm0, xmm1; addps xmm0, xmm2 (a denormal: the helper path); hlt
    const vm = sseVm([0x0f, 0x58, 0xc1, 0x0f, 0x58, 0xc2, 0xf4]);
    setXmm(vm, 0, ONE, ONE);
    setXmm(vm, 1, ONE, ONE);
    setXmm(vm, 2, 0x00000001_00000001n, 0x00000001_00000001n);
    expect(run(vm)).toBe('hlt');
    expect(xmm(vm, 0)).toEqual([TWO, TWO]);
    expect(vm.vcpu.cpu.state.getU32('mxcsr')).toBe(0x1fa2);
  });

  it('the block reads back what the exact helper of MULPS wrote (host CPU: 6.0 and the QNaN)', () => {
    // addps xmm0, xmm1; mulps xmm0, xmm2 (a QNaN lane: the helper path); hlt
    const vm = sseVm([0x0f, 0x58, 0xc1, 0x0f, 0x59, 0xc2, 0xf4]);
    setXmm(vm, 0, ONE, ONE);
    setXmm(vm, 1, ONE, ONE);
    setXmm(vm, 2, 0x40400000_40400000n, 0x40400000_7fc00000n);
    expect(run(vm)).toBe('hlt');
    expect(xmm(vm, 0)).toEqual([0x40c00000_40c00000n, 0x40c00000_7fc00000n]);
    expect(vm.vcpu.cpu.state.getU32('mxcsr')).toBe(MXCSR_DEFAULT);
  });
});

describe('values flow through locals across the instructions of a block', () => {
  it('a packed-integer sequence matches the host CPU, stored at the end of its block', () => {
    // movaps xmm3,xmm1; paddd xmm3,xmm0; pshufd xmm4,xmm3,4eh; pxor xmm4,xmm1; movhlps xmm5,xmm4;
    // punpcklqdq xmm0,xmm5; paddq xmm0,xmm3; jmp $+2 (ends the block); hlt
    const vm = sseVm([...Buffer.from('0f28d9660ffed8660f70e34e660fefe10f12ec660f6cc5660fd4c3eb00f4', 'hex')]);
    setXmm(vm, 0, 0x0123456789abcdefn, 0xfedcba9876543210n);
    setXmm(vm, 1, 0x1111111122222222n, 0x3333333344444444n);
    setXmm(vm, 5, 0x5555555566666666n, 0x7777777788888888n);
    expect(run(vm)).toBe('hlt');
    expect(xmm(vm, 0)).toEqual([0x13579be03579be00n, 0x53175317aa222aa9n]);
    expect(xmm(vm, 1)).toEqual([0x1111111122222222n, 0x3333333344444444n]);
    expect(xmm(vm, 3)).toEqual([0x12345678abcdf011n, 0x320fedcbba987654n]);
    expect(xmm(vm, 4)).toEqual([0x231efcda98ba5476n, 0x2107654bef89b455n]);
    expect(xmm(vm, 5)).toEqual([0x2107654bef89b455n, 0x7777777788888888n]);
  });
});

describe('XMM8-XMM15 in 64-bit mode', () => {
  it('a float and integer sequence matches the host CPU, stored at the end of its block', () => {
    // movapd xmm12,xmm8; addpd xmm12,xmm9; mulpd xmm9,xmm12; movhlps xmm8,xmm9; pshufd xmm13,xmm15,4eh;
    // pxor xmm15,xmm13; paddq xmm15,xmm8; jmp $+2; hlt
    const code = Buffer.from('66450f28e066450f58e166450f59cc450f12c166450f70ef4e66450feffd66450fd4f8eb00f4', 'hex');
    const vm = longModeVm(CODE);
    vm.load(CODE, [...code]);
    const s = vm.vcpu.cpu.state;
    s.setLo('cr4', Cr4.OSFXSR | Cr4.OSXMMEXCPT | Cr4.PAE);
    s.setU32('mxcsr', MXCSR_DEFAULT);
    vm.vcpu.cpu.refreshMode();
    vm.vcpu.cpu.phys.refresh();
    setXmm(vm, 8, 0x3ff0000000000000n, 0x4000000000000000n);
    setXmm(vm, 9, 0x4008000000000000n, 0x3fe0000000000000n);
    setXmm(vm, 15, 0x0123456789abcdefn, 0xfedcba9876543210n);
    expect(run(vm)).toBe('hlt');
    expect(xmm(vm, 8)).toEqual([0x3ff4000000000000n, 0x4000000000000000n]);
    expect(xmm(vm, 9)).toEqual([0x4028000000000000n, 0x3ff4000000000000n]);
    expect(xmm(vm, 12)).toEqual([0x4010000000000000n, 0x4004000000000000n]);
    expect(xmm(vm, 15)).toEqual([0x3ff3ffffffffffffn, 0x3fffffffffffffffn]);
  });
});

describe('the SSE #NM/#UD check within a block', () => {
  it('CR0.TS set by MOV CR0 between two SSE instructions faults the second with #NM (SDM Vol. 3A 13.1 Table 13-1)', () => {
    // addps xmm0,xmm1; mov eax,cr0; or eax,8 (TS); mov cr0,eax; addps xmm0,xmm1; hlt
    const code = [0x0f, 0x58, 0xc1, 0x0f, 0x20, 0xc0, 0x83, 0xc8, 0x08, 0x0f, 0x22, 0xc0];
    const vm = sseVm([...code, 0x0f, 0x58, 0xc1, 0xf4]);
    setXmm(vm, 0, ONE, ONE);
    setXmm(vm, 1, ONE, ONE);
    const r = run(vm);
    expect(r).toMatchObject({ vector: Vector.NM });
    expect(xmm(vm, 0)).toEqual([TWO, TWO]);
  });
});

describe('XmmCache translation-time rule', () => {
  it('refuses a spill for a fault after an XMM write of the same instruction', () => {
    const cache = new XmmCache(new FunctionBuilder(0), (r) => 16 * r);
    cache.beginInstruction();
    cache.read(1);
    cache.write(0);
    expect(() => cache.spillForFault()).toThrow(/before an access that may fault/);
    cache.beginInstruction();
    expect(() => cache.spillForFault()).not.toThrow();
  });

  it('carries the SSE check only through consecutive SSE instructions without helpers of unknown effect', () => {
    const cache = new XmmCache(new FunctionBuilder(0), (r) => 16 * r);
    const sse = (): boolean => (cache.beginInstruction(), cache.sseCheckHolds());
    expect(sse()).toBe(false);
    expect(sse()).toBe(true);
    cache.afterHelper([1]); // an exact SSE helper
    expect(sse()).toBe(true);
    cache.afterHelper('all');
    expect(sse()).toBe(false);
    cache.beginInstruction(); // not an SSE instruction (CLTS, MOV CR0...)
    expect(sse()).toBe(false);
    expect(sse()).toBe(true);
  });
});
