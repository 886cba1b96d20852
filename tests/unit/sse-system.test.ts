// SSE system behaviour the host-CPU fixtures cannot show: the #UD/#NM rules of CR0 and CR4,
// 16-byte alignment, MXCSR checks and #XM, the FXSAVE image, XSAVE/XRSTOR and XCR0, MMX's
// effect on the x87 tags, the CPUID leaves, and the REX-extended registers in 64-bit mode.
// Expected values come from the SDM sections cited.
import { describe, expect, it } from 'vitest';
import { Cr0, Cr4, Reg, Vector } from '../../core/cpu/registers.ts';
import { ExitReason } from '../../core/kvm/exit-reason.ts';
import { createTestVm, enterRealMode, type TestVm } from '../lib/machine.ts';
import { longModeVm } from './long-mode-guest.ts';
import { runBlocks, sseVm } from './system-lib.ts';

const CODE = 0x1000;
const DATA = 0x3000;
const AREA = 0x4000;

/** Runs to HLT; returns the vector of a fault raised on the way (no IDT: caught where raised). */
const run = (vm: TestVm): number | 'hlt' => runBlocks(vm, 0).vector ?? 'hlt';

const xmm = (vm: TestVm, n: number): [bigint, bigint] => [vm.vcpu.cpu.state.get64('xmm', 2 * n), vm.vcpu.cpu.state.get64('xmm', 2 * n + 1)];
const setXmm = (vm: TestVm, n: number, lo: bigint, hi: bigint): void => {
  vm.vcpu.cpu.state.set64('xmm', lo, 2 * n);
  vm.vcpu.cpu.state.set64('xmm', hi, 2 * n + 1);
};
const u16 = (vm: TestVm, a: number): number => vm.ram[a]! | (vm.ram[a + 1]! << 8);
const u32 = (vm: TestVm, a: number): number => (u16(vm, a) | (u16(vm, a + 2) << 16)) >>> 0;
const put32 = (vm: TestVm, a: number, v: number): void => vm.load(a, [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24]);

const ADDPS = [0x0f, 0x58, 0xc1, 0xf4]; // addps xmm0, xmm1; hlt
const ONE_F32 = 0x3f800000n;

describe('SSE enabling: SDM Vol. 3A 13.1 Table 13-1', () => {
  it('executes with CR4.OSFXSR = 1 and CR0.EM = TS = 0', () => {
    const vm = sseVm(ADDPS);
    setXmm(vm, 0, ONE_F32, 0n);
    setXmm(vm, 1, ONE_F32, 0n);
    expect(run(vm)).toBe('hlt');
    expect(xmm(vm, 0)[0]).toBe(0x40000000n); // 1.0 + 1.0 = 2.0
  });
  it('is #UD with CR4.OSFXSR = 0', () => expect(run(sseVm(ADDPS, 0))).toBe(Vector.UD));
  it('is #UD with CR0.EM = 1', () => expect(run(sseVm(ADDPS, Cr4.OSFXSR, Cr0.EM))).toBe(Vector.UD));
  it('is #NM with CR0.TS = 1', () => expect(run(sseVm(ADDPS, Cr4.OSFXSR, Cr0.TS))).toBe(Vector.NM));
});

describe('alignment of 16-byte operands (SDM Vol. 1 11.6.7)', () => {
  it('MOVAPS from an address that is not 16-byte aligned is #GP(0)', () => {
    expect(run(sseVm([0x0f, 0x28, 0x05, 0x08, 0x30, 0x00, 0x00, 0xf4]))).toBe(Vector.GP);
  });
  it('MOVUPS loads from any address', () => {
    const vm = sseVm([0x0f, 0x10, 0x05, 0x08, 0x30, 0x00, 0x00, 0xf4]);
    vm.load(DATA + 8, Array.from({ length: 16 }, (_, i) => i + 1));
    expect(run(vm)).toBe('hlt');
    expect(xmm(vm, 0)).toEqual([0x0807060504030201n, 0x100f0e0d0c0b0a09n]);
  });
});

describe('other addressing', () => {
  it('MASKMOVDQU stores the bytes whose mask byte has bit 7 set at DS:EDI (SDM Vol. 2B MASKMOVDQU)', () => {
    const vm = sseVm([0x66, 0x0f, 0xf7, 0xc1, 0xf4]); // maskmovdqu xmm0, xmm1
    vm.load(DATA, Array<number>(16).fill(0xee));
    setXmm(vm, 0, 0x0706050403020100n, 0x0f0e0d0c0b0a0908n);
    setXmm(vm, 1, 0x00000000000080ffn, 0x8000000000000000n); // bytes 0, 1 and 15
    vm.setReg(Reg.RDI, DATA);
    expect(run(vm)).toBe('hlt');
    expect(Array.from(vm.ram.slice(DATA, DATA + 16))).toEqual([0, 1, ...Array<number>(13).fill(0xee), 0x0f]);
  });
  it('runs in real mode with 16-bit addressing once CR4.OSFXSR is set', () => {
    // movups xmm0, [bx]; paddd xmm0, xmm0; movups [bx+16], xmm0; hlt
    const vm = createTestVm();
    vm.load(CODE, [0x0f, 0x10, 0x07, 0x66, 0x0f, 0xfe, 0xc0, 0x0f, 0x11, 0x47, 0x10, 0xf4]);
    enterRealMode(vm, CODE);
    vm.vcpu.cpu.state.setLo('cr4', Cr4.OSFXSR);
    vm.setReg(Reg.RBX, DATA);
    vm.load(DATA, [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f]);
    vm.runExpect(ExitReason.HLT);
    expect(Array.from(vm.ram.slice(DATA + 16, DATA + 32))).toEqual([2, 0, 0, 0, 4, 0, 0, 0, 6, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff]);
  });
});

describe('MXCSR (SDM Vol. 2A LDMXCSR, Vol. 1 11.5)', () => {
  const LDMXCSR = [0x0f, 0xae, 0x15, 0x00, 0x30, 0x00, 0x00, 0xf4];
  it('LDMXCSR loads a valid value', () => {
    const vm = sseVm(LDMXCSR);
    put32(vm, DATA, 0x7f80);
    expect(run(vm)).toBe('hlt');
    expect(vm.vcpu.cpu.state.getU32('mxcsr')).toBe(0x7f80);
  });
  it('LDMXCSR with a reserved bit (bit 16) set is #GP(0)', () => {
    const vm = sseVm(LDMXCSR);
    put32(vm, DATA, 0x11f80);
    expect(run(vm)).toBe(Vector.GP);
    expect(vm.vcpu.cpu.state.getU32('mxcsr')).toBe(0x1f80);
  });
  const DIVSS = [0xf3, 0x0f, 0x5e, 0xc1, 0xf4]; // divss xmm0, xmm1
  it('an unmasked divide-by-zero is #XM with ZE set and the destination unchanged', () => {
    const vm = sseVm(DIVSS);
    vm.vcpu.cpu.state.setU32('mxcsr', 0x1f80 & ~(1 << 9)); // ZM clear
    setXmm(vm, 0, ONE_F32, 0n);
    expect(run(vm)).toBe(Vector.XM);
    expect(vm.vcpu.cpu.state.getU32('mxcsr') & 0x3f).toBe(1 << 2);
    expect(xmm(vm, 0)[0]).toBe(ONE_F32);
  });
  it('is #UD instead when CR4.OSXMMEXCPT = 0 (SDM Vol. 3A 6.15, interrupt 19)', () => {
    const vm = sseVm(DIVSS, Cr4.OSFXSR);
    vm.vcpu.cpu.state.setU32('mxcsr', 0x1f80 & ~(1 << 9));
    setXmm(vm, 0, ONE_F32, 0n);
    expect(run(vm)).toBe(Vector.UD);
  });
  it('masked: the result is infinity and ZE is set', () => {
    const vm = sseVm(DIVSS);
    setXmm(vm, 0, ONE_F32, 0n);
    expect(run(vm)).toBe('hlt');
    expect(xmm(vm, 0)[0]).toBe(0x7f800000n);
    expect(vm.vcpu.cpu.state.getU32('mxcsr')).toBe(0x1f80 | (1 << 2));
  });
});

describe('FXSAVE and FXRSTOR (SDM Vol. 2A FXSAVE, Table 3-43)', () => {
  const FXSAVE = [0x0f, 0xae, 0x05, 0x00, 0x40, 0x00, 0x00, 0xf4];
  const FXRSTOR = [0x0f, 0xae, 0x0d, 0x00, 0x40, 0x00, 0x00, 0xf4];
  it('stores FCW FSW, abridged tags by physical register, ST(i) from TOP, MXCSR, MXCSR_MASK and XMM', () => {
    const vm = sseVm(FXSAVE);
    const s = vm.vcpu.cpu.state;
    s.u16[s.addr('fpuCw') >>> 1] = 0x037f;
    s.u16[s.addr('fpuSw') >>> 1] = 6 << 11; // TOP = 6
    s.u16[s.addr('fpuTw') >>> 1] = 0x0fff; // R6 R7 valid, the rest empty
    s.set64('fpuMant', 0x8000000000000000n, 6);
    s.u16[s.addr('fpuSignExp', 6) >>> 1] = 0x3fff; // R6 = 1.0
    s.setU32('mxcsr', 0x1fa0);
    setXmm(vm, 0, 0x1122334455667788n, 0x99aabbccddeeff00n);
    expect(run(vm)).toBe('hlt');
    expect(u16(vm, AREA)).toBe(0x037f);
    expect(u16(vm, AREA + 2)).toBe(6 << 11);
    expect(vm.ram[AREA + 4]).toBe(0xc0); // bits 6 and 7
    expect(u32(vm, AREA + 24)).toBe(0x1fa0);
    expect(u32(vm, AREA + 28)).toBe(0xffff);
    expect(u16(vm, AREA + 32 + 8)).toBe(0x3fff); // ST(0) = R6
    expect(u32(vm, AREA + 32 + 4)).toBe(0x80000000);
    expect(u32(vm, AREA + 160)).toBe(0x55667788);
    expect(u32(vm, AREA + 172)).toBe(0x99aabbcc);
  });
  it('FXRSTOR loads the image and rebuilds the full tag word', () => {
    const vm = sseVm(FXRSTOR);
    vm.load(AREA, [0x7f, 0x02, 0x00, 0x38, 0x01]); // FCW 027F, FSW TOP = 7, abridged tags: R0 in use
    put32(vm, AREA + 24, 0x1f80 | (1 << 13));
    put32(vm, AREA + 32 + 16, 0); // ST(1) = R0 = +0.0
    put32(vm, AREA + 160 + 16 * 7, 0xdeadbeef);
    expect(run(vm)).toBe('hlt');
    const s = vm.vcpu.cpu.state;
    expect(s.u16[s.addr('fpuCw') >>> 1]).toBe(0x027f);
    expect(s.u16[s.addr('fpuTw') >>> 1]).toBe(0xfffd); // R0 zero (01), others empty (11)
    expect(s.getU32('mxcsr')).toBe(0x3f80);
    expect(xmm(vm, 7)[0]).toBe(0xdeadbeefn);
  });
  it('FXRSTOR with a reserved MXCSR bit is #GP(0) and changes nothing', () => {
    const vm = sseVm(FXRSTOR);
    put32(vm, AREA + 24, 0x10000);
    expect(run(vm)).toBe(Vector.GP);
    expect(vm.vcpu.cpu.state.getU32('mxcsr')).toBe(0x1f80);
  });
  it('an area that is not 16-byte aligned is #GP(0)', () => {
    expect(run(sseVm([0x0f, 0xae, 0x05, 0x08, 0x40, 0x00, 0x00, 0xf4]))).toBe(Vector.GP);
  });
  it('CR0.EM is #NM for FXSAVE', () => expect(run(sseVm(FXSAVE, Cr4.OSFXSR, Cr0.EM))).toBe(Vector.NM));
});

describe('XCR0, XSAVE and XRSTOR (SDM Vol. 1 13.3, 13.7, 13.8; Vol. 2D XSETBV)', () => {
  const XSETBV = [0x0f, 0x01, 0xd1, 0xf4];
  const XGETBV = [0x0f, 0x01, 0xd0, 0xf4];
  const osxsave = Cr4.OSFXSR | Cr4.OSXSAVE;
  it('XGETBV reads XCR0 = 1 after reset; without CR4.OSXSAVE it is #UD', () => {
    const vm = sseVm(XGETBV, osxsave);
    vm.setReg(Reg.RCX, 0);
    expect(run(vm)).toBe('hlt');
    expect(vm.reg(Reg.RAX)).toBe(1);
    expect(run(sseVm(XGETBV, Cr4.OSFXSR))).toBe(Vector.UD);
  });
  it('XSETBV accepts x87 | SSE and rejects XCR0[0] = 0, unsupported bits and ECX != 0', () => {
    const set = (eax: number, ecx = 0): number | 'hlt' => {
      const vm = sseVm(XSETBV, osxsave);
      vm.setReg(Reg.RAX, eax);
      vm.setReg(Reg.RDX, 0);
      vm.setReg(Reg.RCX, ecx);
      return run(vm);
    };
    expect(set(3)).toBe('hlt');
    expect(set(2)).toBe(Vector.GP);
    expect(set(7)).toBe(Vector.GP); // AVX is not supported
    expect(set(3, 1)).toBe(Vector.GP);
  });
  it('XSAVE writes XSTATE_BV for RFBM; XRSTOR initializes SSE when its XSTATE_BV bit is 0 but loads MXCSR', () => {
    // xsave [0x4000]; xrstor [0x4000]; hlt with EDX:EAX = 3 and XCR0 = 3
    const vm = sseVm([0x0f, 0xae, 0x25, 0x00, 0x40, 0x00, 0x00, 0xf4], osxsave);
    const s = vm.vcpu.cpu.state;
    s.set64('xcr0', 3n);
    vm.setReg(Reg.RAX, 3);
    vm.setReg(Reg.RDX, 0);
    setXmm(vm, 3, 0x1234n, 0x5678n);
    expect(run(vm)).toBe('hlt');
    expect(u32(vm, AREA + 512)).toBe(3);
    expect(u32(vm, AREA + 160 + 48)).toBe(0x1234);
    // XSTATE_BV = x87 only: XRSTOR zeroes the XMM registers and takes MXCSR from the image.
    vm.load(AREA + 512, [1]);
    put32(vm, AREA + 24, 0x1f80 | (3 << 13));
    vm.load(CODE, [0x0f, 0xae, 0x2d, 0x00, 0x40, 0x00, 0x00, 0xf4]);
    vm.vcpu.cpu.cache.invalidatePage(CODE >>> 12);
    vm.vcpu.cpu.clearJitHash();
    s.setLo('rip', CODE);
    expect(run(vm)).toBe('hlt');
    expect(xmm(vm, 3)).toEqual([0n, 0n]);
    expect(s.getU32('mxcsr')).toBe(0x1f80 | (3 << 13));
  });
  it('XRSTOR with an XSTATE_BV bit outside XCR0 is #GP(0)', () => {
    const vm = sseVm([0x0f, 0xae, 0x2d, 0x00, 0x40, 0x00, 0x00, 0xf4], osxsave);
    vm.setReg(Reg.RAX, 3);
    vm.load(AREA + 512, [3]); // XCR0 is 1
    expect(run(vm)).toBe(Vector.GP);
  });
});

describe('MMX and the x87 state (SDM Vol. 1 9.5.1)', () => {
  it('an MMX instruction sets TOP = 0, every tag valid and bits 79:64 of the written register', () => {
    const vm = sseVm([0x0f, 0xfc, 0xc1, 0xf4]); // paddb mm0, mm1
    const s = vm.vcpu.cpu.state;
    s.u16[s.addr('fpuSw') >>> 1] = 5 << 11;
    s.u16[s.addr('fpuTw') >>> 1] = 0xffff;
    s.set64('fpuMant', 0x01020304050607ffn, 0);
    s.set64('fpuMant', 0x0101010101010101n, 1);
    expect(run(vm)).toBe('hlt');
    expect(s.get64('fpuMant', 0)).toBe(0x0203040506070800n);
    expect(s.u16[s.addr('fpuSignExp', 0) >>> 1]).toBe(0xffff);
    expect(s.u16[s.addr('fpuSw') >>> 1] & (7 << 11)).toBe(0);
    expect(s.u16[s.addr('fpuTw') >>> 1]).toBe(0);
  });
  it('EMMS marks every register empty', () => {
    const vm = sseVm([0x0f, 0x77, 0xf4]);
    const s = vm.vcpu.cpu.state;
    s.u16[s.addr('fpuTw') >>> 1] = 0;
    expect(run(vm)).toBe('hlt');
    expect(s.u16[s.addr('fpuTw') >>> 1]).toBe(0xffff);
  });
  it('MMX is #NM with CR0.TS and #UD with CR0.EM (no OSFXSR needed)', () => {
    expect(run(sseVm([0x0f, 0xfc, 0xc1, 0xf4], 0, Cr0.TS))).toBe(Vector.NM);
    expect(run(sseVm([0x0f, 0xfc, 0xc1, 0xf4], 0, Cr0.EM))).toBe(Vector.UD);
    expect(run(sseVm([0x0f, 0xfc, 0xc1, 0xf4], 0))).toBe('hlt');
  });
});

describe('CPUID (SDM Vol. 2A CPUID, Tables 3-10, 3-11; leaf 0DH)', () => {
  const cpuid = (vm: TestVm, leaf: number, sub = 0): number[] => {
    vm.setReg(Reg.RAX, leaf);
    vm.setReg(Reg.RCX, sub);
    vm.vcpu.cpu.state.setLo('rip', CODE);
    expect(run(vm)).toBe('hlt');
    return [Reg.RAX, Reg.RBX, Reg.RCX, Reg.RDX].map((r) => vm.reg(r));
  };
  it('advertises MMX FXSR SSE SSE2 CLFSH, SSE3 SSSE3 SSE4.1 SSE4.2 XSAVE, and OSXSAVE as CR4 says; never AVX', () => {
    const vm = sseVm([0x0f, 0xa2, 0xf4], Cr4.OSFXSR);
    const [, ebx, ecx, edx] = cpuid(vm, 1);
    for (const bit of [19, 23, 24, 25, 26]) expect((edx! >>> bit) & 1, `EDX bit ${bit}`).toBe(1);
    for (const bit of [0, 9, 19, 20, 26]) expect((ecx! >>> bit) & 1, `ECX bit ${bit}`).toBe(1);
    expect((ecx! >>> 27) & 1).toBe(0);
    expect((ecx! >>> 28) & 1).toBe(0); // AVX
    expect((ebx! >> 8) & 0xff).toBe(8); // CLFLUSH line: 8 * 8 = 64 bytes
    vm.vcpu.cpu.state.setLo('cr4', Cr4.OSFXSR | Cr4.OSXSAVE);
    expect((cpuid(vm, 1)[2]! >>> 27) & 1).toBe(1);
  });
  it('leaf 0DH: x87 | SSE, a 576-byte area, XSAVEOPT XSAVEC XGETBV-ECX=1 XSAVES; nothing beyond', () => {
    const vm = sseVm([0x0f, 0xa2, 0xf4], Cr4.OSFXSR);
    expect(cpuid(vm, 0xd, 0)).toEqual([3, 576, 576, 0]);
    expect(cpuid(vm, 0xd, 1)[0]).toBe(0xf);
    expect(cpuid(vm, 0xd, 2)).toEqual([0, 0, 0, 0]);
  });
});

describe('64-bit mode: XMM8-XMM15 and REX.W forms', () => {
  // cvttsd2si rax, xmm0; cvtsd2si rbx, xmm1; cvtsi2sd xmm2, rcx; cvtsi2ss xmm3, rdx; hlt
  const CONVERT64 = [0xf2, 0x48, 0x0f, 0x2c, 0xc0, 0xf2, 0x48, 0x0f, 0x2d, 0xd9, 0xf2, 0x48, 0x0f, 0x2a, 0xd1, 0xf3, 0x48, 0x0f, 0x2a, 0xda, 0xf4];
  const f64 = (x: number): bigint => {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, x, true);
    return dv.getBigUint64(0, true);
  };
  const convert = (mxcsr: number, x0: number, x1: number, rcx: bigint, rdx: bigint): { vm: TestVm; out: bigint[] } => {
    const vm = longModeVm(0x10000);
    vm.load(0x10000, CONVERT64);
    const s = vm.vcpu.cpu.state;
    s.setLo('cr4', Cr4.OSFXSR | Cr4.PAE);
    s.setU32('mxcsr', mxcsr);
    s.set64('xmm', f64(x0), 0);
    s.set64('xmm', f64(x1), 2);
    s.set64('gpr', rcx, Reg.RCX);
    s.set64('gpr', rdx, Reg.RDX);
    vm.runExpect(ExitReason.HLT);
    return { vm, out: [s.get64('gpr', Reg.RAX), s.get64('gpr', Reg.RBX), s.get64('xmm', 4), s.get64('xmm', 6)] };
  };
  it('64-bit conversions: the integer indefinite for 2^63, round to nearest even, inexact int64 to double (SDM Vol. 2A CVTSD2SI, CVTSI2SD)', () => {
    const { vm, out } = convert(0x1f80, 2 ** 63, 2.5, (1n << 53n) + 1n, -1n);
    expect(out[0]).toBe(0x8000000000000000n); // out of range: indefinite
    expect(out[1]).toBe(2n); // 2.5 to nearest even
    expect(out[2]).toBe(0x4340000000000000n); // 2^53 + 1 rounds to 2^53
    expect(out[3]! & 0xffffffffn).toBe(0xbf800000n); // -1.0f
    expect(vm.vcpu.cpu.state.getU32('mxcsr') & 0x3f).toBe(0x21); // IE and PE
  });
  it('rounding up converts 2^53 + 1 to 2^53 + 2, and -2^63 converts exactly', () => {
    const { vm, out } = convert(0x1f80 | (2 << 13), -(2 ** 63), 1.25, (1n << 53n) + 1n, 3n);
    expect(out[0]).toBe(0x8000000000000000n);
    expect(out[1]).toBe(2n); // 1.25 rounded up
    expect(out[2]).toBe(0x4340000000000001n);
    expect(vm.vcpu.cpu.state.getU32('mxcsr') & 0x3f).toBe(0x20); // PE only
  });
  it('FXSAVE64 and XSAVE64 store a 64-bit FIP and all sixteen XMM registers (SDM Vol. 2A Table 3-46)', () => {
    // fxsave64 [0x4000]; xsave64 [0x4400]; hlt
    const vm = longModeVm(0x10000);
    vm.load(0x10000, [0x48, 0x0f, 0xae, 0x04, 0x25, 0x00, 0x40, 0x00, 0x00, 0x48, 0x0f, 0xae, 0x24, 0x25, 0x00, 0x44, 0x00, 0x00, 0xf4]);
    const s = vm.vcpu.cpu.state;
    s.setLo('cr4', Cr4.OSFXSR | Cr4.OSXSAVE | Cr4.PAE);
    s.set64('xcr0', 3n);
    vm.setReg(Reg.RAX, 3);
    vm.setReg(Reg.RDX, 0);
    s.set64('fpuIp', 0x123456789an);
    s.set64('xmm', 0xfeedfacecafef00dn, 2 * 15 + 1);
    vm.runExpect(ExitReason.HLT);
    const q = (a: number): bigint => new DataView(vm.ram.buffer, vm.ram.byteOffset).getBigUint64(a, true);
    expect(q(AREA + 8)).toBe(0x123456789an);
    expect(q(AREA + 160 + 16 * 15 + 8)).toBe(0xfeedfacecafef00dn);
    expect(q(0x4400 + 160 + 16 * 15 + 8)).toBe(0xfeedfacecafef00dn);
    expect(q(0x4400 + 512)).toBe(3n);
  });

  it('runs CVTSI2SD with a 64-bit source, MOVQ/PEXTRQ to 64-bit registers and PADDQ on XMM12', () => {
    // mov rax, -5; cvtsi2sd xmm9, rax; movq r10, xmm9; pextrq r11, xmm9, 0; movdqa xmm12, xmm9;
    // paddq xmm12, xmm9; movq rbx, xmm12; hlt
    const code = [
      0x48, 0xc7, 0xc0, 0xfb, 0xff, 0xff, 0xff, 0xf2, 0x4c, 0x0f, 0x2a, 0xc8, 0x66, 0x4d, 0x0f, 0x7e, 0xca, 0x66, 0x4d, 0x0f,
      0x3a, 0x16, 0xcb, 0x00, 0x66, 0x45, 0x0f, 0x6f, 0xe1, 0x66, 0x45, 0x0f, 0xd4, 0xe1, 0x66, 0x4c, 0x0f, 0x7e, 0xe3, 0xf4,
    ];
    const vm = longModeVm(0x10000);
    vm.load(0x10000, code);
    vm.vcpu.cpu.state.setLo('cr4', Cr4.OSFXSR | Cr4.PAE);
    vm.runExpect(ExitReason.HLT);
    const s = vm.vcpu.cpu.state;
    const minus5 = 0xc014000000000000n; // -5.0 as binary64
    expect(s.get64('gpr', 10)).toBe(minus5);
    expect(s.get64('gpr', 11)).toBe(minus5);
    expect(s.get64('gpr', Reg.RBX)).toBe(BigInt.asUintN(64, minus5 * 2n));
  });
});
