// SYSCALL/SYSRET and SYSENTER/SYSEXIT (SDM Vol. 2B; Vol. 3A 5.8.7, 5.8.8): the register and
// flag transfers, the CS/SS selectors derived from STAR or IA32_SYSENTER_CS with their fixed
// attributes, and the #UD/#GP conditions. MSRs are set as KVM_SET_MSRS would (host writes).
import { describe, expect, it } from 'vitest';
import { ExitReason, createTestVm, enterRealMode, type TestVm } from '../lib/machine.ts';
import { Msr } from '../../core/cpu/msr.ts';
import { Efer, Flag, Reg, Seg, SegAttr, Vector } from '../../core/cpu/registers.ts';
import { KCODE as KCODE32_PM, KDATA as KDATA32_PM, RING3_STACK, UCODE as UCODE_PM, UDATA as UDATA_PM, enterRing3, protectedVm } from './protection-guest.ts';
import { runToFault } from './system-lib.ts';
import {
  GATE64_INTERRUPT, KCODE, KDATA, KSTACK, MMIO_EXIT32, MMIO_EXIT64, STAR, UCODE, UCODE32, UDATA, USTACK, codeSize, cpl, enterUser,
  idtGate, loadSegment, longModeVm, rip, rsp, sel, stackQwords,
} from './long-mode-guest.ts';

const LSTAR = 0x6000;
/** Linux's SYSCALL mask: TF DF IF IOPL AC NT (arch/x86/kernel/cpu/common.c syscall_init). */
const FMASK = Flag.TF | Flag.DF | Flag.IF | Flag.IOPL | Flag.AC | Flag.NT;
const USER_FLAGS = Flag.FIXED1 | Flag.CF | Flag.ZF | Flag.IF | Flag.DF | Flag.AC;
const FLAT_TYPE_CODE = 0xb; // execute/read, accessed
const FLAT_TYPE_DATA = 0x3; // read/write, accessed
const DPL3 = 3 << SegAttr.DPL_SHIFT;

const setMsr = (vm: TestVm, index: number, value: bigint | number): void => {
  if (!vm.vcpu.msrs.set(index, BigInt(value), true)) throw new Error(`MSR 0x${index.toString(16)} refused`);
};
const reg64 = (vm: TestVm, r: Reg): bigint => vm.vcpu.cpu.state.get64('gpr', r);
const attr = (vm: TestVm, seg: Seg): number => vm.vcpu.cpu.state.getU32('segAttr', seg) & ~SegAttr.UNUSABLE;
const limit = (vm: TestVm, seg: Seg): number => vm.vcpu.cpu.state.getU32('segLimit', seg);

function syscallVm(): TestVm {
  const vm = longModeVm(0);
  setMsr(vm, Msr.STAR, STAR);
  setMsr(vm, Msr.LSTAR, LSTAR);
  setMsr(vm, Msr.FMASK, FMASK);
  return vm;
}

describe('SYSCALL and SYSRET (SDM Vol. 2B)', () => {
  it('SYSCALL from ring 3 enters LSTAR with RCX, R11 and SFMASK applied; SYSRETQ returns with RFLAGS from R11', () => {
    const vm = syscallVm();
    vm.load(0x10000, [0x0f, 0x05, ...MMIO_EXIT64]); // syscall; mov eax, 0x10000000; mov [rax], al
    vm.load(LSTAR, [0xf4, 0x48, 0x0f, 0x07]); // hlt; o64 sysret
    enterUser(vm, 0x10000);
    vm.vcpu.cpu.state.setLo('rflags', USER_FLAGS);
    vm.runExpect(ExitReason.HLT);
    expect([reg64(vm, Reg.RCX), reg64(vm, Reg.R11)]).toEqual([0x10002n, BigInt(USER_FLAGS)]);
    expect(vm.flags()).toBe(USER_FLAGS & ~FMASK);
    expect([cpl(vm), rip(vm), rsp(vm), codeSize(vm)]).toEqual([0, BigInt(LSTAR + 1), BigInt(USTACK), 8]);
    // CS = STAR[47:32], SS = STAR[47:32] + 8, flat ring-0 64-bit code and data.
    expect([sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([KCODE, KDATA]);
    expect(attr(vm, Seg.CS)).toBe(SegAttr.P | SegAttr.S | FLAT_TYPE_CODE | SegAttr.L | SegAttr.G);
    expect(attr(vm, Seg.SS)).toBe(SegAttr.P | SegAttr.S | FLAT_TYPE_DATA | SegAttr.DB | SegAttr.G);
    expect([limit(vm, Seg.CS), limit(vm, Seg.SS)]).toEqual([0xffffffff, 0xffffffff]);

    vm.runExpect(ExitReason.MMIO);
    expect([cpl(vm), rip(vm), codeSize(vm)]).toEqual([3, 0x10007n, 8]);
    // CS = STAR[63:48] + 16, SS = STAR[63:48] + 8, RPL 3; RFLAGS = R11 & 0x3C7FD7 | 2.
    expect([sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([UCODE, UDATA]);
    expect(attr(vm, Seg.CS)).toBe(SegAttr.P | SegAttr.S | DPL3 | FLAT_TYPE_CODE | SegAttr.L | SegAttr.G);
    expect(attr(vm, Seg.SS)).toBe(SegAttr.P | SegAttr.S | DPL3 | FLAT_TYPE_DATA | SegAttr.DB | SegAttr.G);
    expect(vm.flags()).toBe(USER_FLAGS);
  });

  it('SYSRET without REX.W returns to compatibility mode at ECX, ignoring RCX[63:32]', () => {
    const vm = syscallVm();
    vm.load(0x4000, [0x0f, 0x07]); // sysret
    vm.load(0x10000, MMIO_EXIT32);
    vm.vcpu.cpu.state.set64('gpr', 0x1234_5678_0001_0000n, Reg.RCX);
    vm.vcpu.cpu.state.set64('gpr', BigInt(Flag.FIXED1 | Flag.RF | Flag.VM | Flag.IF), Reg.R11);
    vm.vcpu.cpu.state.setLo('rip', 0x4000);
    loadSegment(vm, Seg.DS, UDATA); // compatibility mode addresses memory through DS
    vm.runExpect(ExitReason.MMIO);
    expect([cpl(vm), rip(vm), codeSize(vm), sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([3, 0x10000n, 4, UCODE32, UDATA]);
    expect(attr(vm, Seg.CS)).toBe(SegAttr.P | SegAttr.S | DPL3 | FLAT_TYPE_CODE | SegAttr.DB | SegAttr.G);
    expect(vm.flags()).toBe(Flag.FIXED1 | Flag.IF); // RF and VM are not loaded from R11
  });

  it('SYSRETQ with a non-canonical RCX raises #GP(0) at CPL 0, on the kernel stack (as Intel processors do)', () => {
    const vm = syscallVm();
    vm.load(0x4000, [0x48, 0x0f, 0x07]); // o64 sysret
    vm.load(0x5000, [0xf4]);
    idtGate(vm, Vector.GP, 0x5000, GATE64_INTERRUPT, 0);
    vm.vcpu.cpu.state.set64('gpr', 0x0000_8000_0000_0000n, Reg.RCX);
    vm.vcpu.cpu.state.setLo('rip', 0x4000);
    vm.runExpect(ExitReason.HLT);
    expect([cpl(vm), sel(vm, Seg.CS), rsp(vm)]).toEqual([0, KCODE, BigInt(KSTACK - 48)]);
    expect(stackQwords(vm, 6)).toEqual([0n, 0x4000n, BigInt(KCODE), BigInt(Flag.FIXED1 | Flag.RF), BigInt(KSTACK), BigInt(KDATA)]);
  });

  it.each([
    ['SYSCALL with EFER.SCE = 0', [0x0f, 0x05], 0, UCODE, Vector.UD],
    ['SYSCALL in compatibility mode', [0x0f, 0x05], Efer.SCE, UCODE32, Vector.UD],
    ['SYSRET at CPL 3', [0x48, 0x0f, 0x07], Efer.SCE, UCODE, Vector.GP],
  ])('%s faults', (_what, code, sce, cs, vector) => {
    const vm = syscallVm();
    vm.load(0x10000, code);
    vm.vcpu.cpu.state.setLo('efer', Efer.LME | Efer.LMA | sce);
    enterUser(vm, 0x10000, cs);
    const f = runToFault(vm);
    expect([f.vector, f.rip, cpl(vm)]).toEqual([vector, 0x10000, 3]);
  });
});

describe('SYSENTER and SYSEXIT (SDM Vol. 2B)', () => {
  const SYSENTER_ESP = 0x9800;
  const SYSENTER_EIP = 0x5800;

  function sysenterVm(): TestVm {
    const vm = protectedVm(0);
    setMsr(vm, Msr.SYSENTER_CS, KCODE32_PM);
    setMsr(vm, Msr.SYSENTER_ESP, SYSENTER_ESP);
    setMsr(vm, Msr.SYSENTER_EIP, SYSENTER_EIP);
    return vm;
  }

  it('round trip in 32-bit protected mode: CS = SYSENTER_CS, SS = CS + 8; back at CS + 16, SS + 24 with RPL 3', () => {
    const vm = sysenterVm();
    vm.load(0x6000, [0x0f, 0x34, ...MMIO_EXIT32]); // sysenter; mov [0x10000000], al
    // hlt; mov ecx, 0xa100; mov edx, 0x6002; sysexit
    vm.load(SYSENTER_EIP, [0xf4, 0xb9, 0x00, 0xa1, 0x00, 0x00, 0xba, 0x02, 0x60, 0x00, 0x00, 0x0f, 0x35]);
    enterRing3(vm, 0x6000);
    vm.runExpect(ExitReason.HLT);
    expect([cpl(vm), rip(vm), rsp(vm), codeSize(vm)]).toEqual([0, BigInt(SYSENTER_EIP + 1), BigInt(SYSENTER_ESP), 4]);
    expect([sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([KCODE32_PM, KDATA32_PM]);
    expect(attr(vm, Seg.CS)).toBe(SegAttr.P | SegAttr.S | FLAT_TYPE_CODE | SegAttr.DB | SegAttr.G);
    expect(vm.flags() & Flag.IF).toBe(0);

    vm.runExpect(ExitReason.MMIO);
    expect([cpl(vm), rip(vm), rsp(vm), codeSize(vm)]).toEqual([3, 0x6002n, 0xa100n, 4]);
    expect([sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([UCODE_PM, UDATA_PM]);
    expect(attr(vm, Seg.SS)).toBe(SegAttr.P | SegAttr.S | DPL3 | FLAT_TYPE_DATA | SegAttr.DB | SegAttr.G);
  });

  it('in IA-32e mode: SYSENTER from compatibility mode enters 64-bit ring 0; SYSEXIT with REX.W returns to 64-bit mode at CS + 32', () => {
    const vm = longModeVm(0);
    setMsr(vm, Msr.SYSENTER_CS, KCODE);
    setMsr(vm, Msr.SYSENTER_ESP, SYSENTER_ESP);
    setMsr(vm, Msr.SYSENTER_EIP, SYSENTER_EIP);
    vm.load(0x10000, [0x0f, 0x34]); // sysenter (compatibility mode)
    vm.load(SYSENTER_EIP, [0xf4, 0x48, 0x0f, 0x35]); // hlt; o64 sysexit
    vm.load(0x12000, MMIO_EXIT64);
    enterUser(vm, 0x10000, UCODE32);
    vm.runExpect(ExitReason.HLT);
    expect([cpl(vm), codeSize(vm), sel(vm, Seg.CS), sel(vm, Seg.SS), rsp(vm)]).toEqual([0, 8, KCODE, KDATA, BigInt(SYSENTER_ESP)]);
    vm.vcpu.cpu.state.set64('gpr', 0x21000n, Reg.RCX);
    vm.vcpu.cpu.state.set64('gpr', 0x12000n, Reg.RDX);
    vm.runExpect(ExitReason.MMIO);
    expect([cpl(vm), codeSize(vm), sel(vm, Seg.CS), sel(vm, Seg.SS), rsp(vm), rip(vm)]).toEqual([3, 8, KCODE + 32 + 3, KCODE + 40 + 3, 0x21000n, 0x12005n]);
  });

  it('SYSENTER with SYSENTER_CS = 0 and SYSEXIT at CPL 3 raise #GP(0)', () => {
    const vm = sysenterVm();
    setMsr(vm, Msr.SYSENTER_CS, 0);
    vm.load(0x6000, [0x0f, 0x34]);
    enterRing3(vm, 0x6000);
    expect(runToFault(vm)).toEqual({ vector: Vector.GP, errorCode: 0, rip: 0x6000 });
    const user = sysenterVm();
    user.load(0x6000, [0x0f, 0x35]);
    enterRing3(user, 0x6000);
    expect(runToFault(user)).toEqual({ vector: Vector.GP, errorCode: 0, rip: 0x6000 });
    expect([cpl(user), rsp(user)]).toEqual([3, BigInt(RING3_STACK)]);
  });

  it('SYSENTER in real mode raises #GP(0)', () => {
    const vm = createTestVm();
    setMsr(vm, Msr.SYSENTER_CS, KCODE32_PM);
    vm.load(0x1000, [0x0f, 0x34]);
    enterRealMode(vm, 0x1000);
    expect(runToFault(vm)).toEqual({ vector: Vector.GP, errorCode: 0, rip: 0x1000 });
  });
});
