// Far transfers in IA-32e mode (SDM Vol. 2A CALL, JMP, IRET; Vol. 2B RET; Vol. 3A 5.8.3.1,
// 6.14.3): IRETQ to 64-bit and compatibility mode with its SS rules, a CALL through a 64-bit
// call gate to ring 0 and RETF (REX.W) back, JMP far m16:64, and the canonical and
// descriptor checks that raise #GP.
import { describe, expect, it } from 'vitest';
import { ExitReason, type TestVm } from '../lib/machine.ts';
import { Flag, Reg, Seg, Vector } from '../../core/cpu/registers.ts';
import { putDesc, segment } from './protection-guest.ts';
import { runToFault } from './system-lib.ts';
import {
  CALL_GATE, GDT, KCODE, KCODE32, KSTACK, MMIO_EXIT32, MMIO_EXIT64, RSP0, TSS_SEL, UCODE, UCODE32, UDATA, USTACK, callGate64,
  codeSize, cpl, enterUser, loadSegment, longModeVm, put64, rip, rsp, sel, stackQwords,
} from './long-mode-guest.ts';

const FRAME = 0x7000;
const NON_CANONICAL = 0x0000_8000_0000_0000n;

/** Ring-0 code at 0x4000 running IRETQ with the frame RIP, CS, RFLAGS, RSP, SS at FRAME. */
function iretqVm(frame: bigint[]): TestVm {
  const vm = longModeVm(0x4000);
  vm.load(0x4000, [0x48, 0xcf]); // iretq
  frame.forEach((v, i) => put64(vm, FRAME + 8 * i, v));
  vm.setReg(Reg.RSP, FRAME);
  return vm;
}

describe('IRETQ (SDM Vol. 2A IRET, IA-32e mode)', () => {
  it('returns to ring 3 in 64-bit mode with SS:RSP and RFLAGS from the frame', () => {
    const vm = iretqVm([0x10000n, BigInt(UCODE), BigInt(Flag.FIXED1 | Flag.IF | Flag.CF), BigInt(USTACK), BigInt(UDATA)]);
    vm.load(0x10000, MMIO_EXIT64);
    vm.runExpect(ExitReason.MMIO);
    expect([cpl(vm), codeSize(vm), rip(vm), rsp(vm)]).toEqual([3, 8, 0x10005n, BigInt(USTACK)]);
    expect([sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([UCODE, UDATA]);
    expect(vm.flags()).toBe(Flag.FIXED1 | Flag.IF | Flag.CF);
  });

  it('returns to compatibility mode: a 32-bit code segment, EIP within its limit', () => {
    const vm = iretqVm([0x10000n, BigInt(UCODE32), BigInt(Flag.FIXED1), BigInt(USTACK), BigInt(UDATA)]);
    vm.load(0x10000, MMIO_EXIT32);
    loadSegment(vm, Seg.DS, UDATA); // compatibility mode addresses memory through DS
    vm.runExpect(ExitReason.MMIO);
    expect([cpl(vm), codeSize(vm), rip(vm), rsp(vm)]).toEqual([3, 4, 0x10000n, BigInt(USTACK)]);
  });

  it('may load a null SS whose RPL is the new CPL when it stays below ring 3 in 64-bit mode', () => {
    const vm = iretqVm([0x4800n, BigInt(KCODE), BigInt(Flag.FIXED1), 0x7800n, 0n]);
    vm.load(0x4800, [0xf4]);
    vm.runExpect(ExitReason.HLT);
    expect([rip(vm), rsp(vm), sel(vm, Seg.SS)]).toEqual([0x4801n, 0x7800n, 0]);
  });

  it.each([
    ['a non-canonical RIP', [NON_CANONICAL, BigInt(UCODE), 2n, BigInt(USTACK), BigInt(UDATA)], 0, 0],
    ['a null SS going back to ring 3', [0x10000n, BigInt(UCODE), 2n, BigInt(USTACK), 0n], 0, 0],
    ['a code segment with L = 1 and D = 1', [0x10000n, 0x38n, 2n, BigInt(USTACK), BigInt(UDATA)], 0, 0x38],
    ['NT = 1 (no task switches in IA-32e mode)', [0x10000n, BigInt(UCODE), 2n, BigInt(USTACK), BigInt(UDATA)], Flag.NT, 0],
  ])('raises #GP with %s, leaving CPL, RSP and CS alone', (_what, frame, flags, errorCode) => {
    const vm = iretqVm(frame);
    putDesc(vm, GDT + 0x38, segment(0, 0xfffff, 0xfa, 0xe)); // G D L: reserved in IA-32e mode
    vm.vcpu.cpu.state.setLo('rflags', Flag.FIXED1 | flags);
    expect(runToFault(vm)).toEqual({ vector: Vector.GP, errorCode, rip: 0x4000 });
    expect([cpl(vm), rsp(vm), sel(vm, Seg.CS)]).toEqual([0, BigInt(FRAME), KCODE]);
  });
});

describe('64-bit call gates (SDM Vol. 3A 5.8.3.1, 5.8.6)', () => {
  it('CALL far from ring 3 to ring 0 pushes SS RSP CS RIP as quadwords on RSP0 with a null SS; RETF (REX.W) returns', () => {
    const vm = longModeVm(0);
    callGate64(vm, CALL_GATE, 0x5200, 3);
    vm.load(0x5200, [0xf4, 0x48, 0xcb]); // hlt; o64 retf
    vm.load(0x10000, [0xff, 0x1b, ...MMIO_EXIT64]); // call far dword [rbx]; mov eax, 0x10000000; mov [rax], al
    vm.load(0x11000, [0, 0, 0, 0, CALL_GATE, 0]); // m16:32; the offset is the gate's
    enterUser(vm, 0x10000);
    vm.setReg(Reg.RBX, 0x11000);
    vm.runExpect(ExitReason.HLT);
    expect([cpl(vm), sel(vm, Seg.CS), sel(vm, Seg.SS), rip(vm)]).toEqual([0, KCODE, 0, 0x5201n]);
    expect(rsp(vm)).toBe(BigInt(RSP0 - 32));
    expect(stackQwords(vm, 4)).toEqual([0x10002n, BigInt(UCODE), BigInt(USTACK), BigInt(UDATA)]);
    vm.runExpect(ExitReason.MMIO);
    expect([cpl(vm), sel(vm, Seg.CS), sel(vm, Seg.SS), rip(vm), rsp(vm)]).toEqual([3, UCODE, UDATA, 0x10007n, BigInt(USTACK)]);
  });
});

describe('RETF in compatibility mode (SDM Vol. 2B RET, IA-32E-MODE)', () => {
  it('pops EIP and CS as dwords from SS:ESP and may return to 64-bit code', () => {
    const vm = longModeVm(0x4000);
    loadSegment(vm, Seg.CS, KCODE32);
    vm.vcpu.cpu.refreshMode();
    vm.load(0x4000, [0xcb]); // retf (32-bit operand size)
    vm.load(0x4800, [0xf4]);
    vm.load(FRAME, [0x00, 0x48, 0, 0, KCODE, 0, 0, 0]);
    vm.setReg(Reg.RSP, FRAME);
    expect(codeSize(vm)).toBe(4);
    vm.runExpect(ExitReason.HLT);
    expect([codeSize(vm), sel(vm, Seg.CS), rip(vm), rsp(vm)]).toEqual([8, KCODE, 0x4801n, BigInt(FRAME + 8)]);
  });
});

describe('JMP far in IA-32e mode (SDM Vol. 2A JMP)', () => {
  /** Ring 0 at 0x4000 running `jmp far [rbx]` with the pointer at 0x6000. */
  function jumpVm(bytes: number[], pointer: (vm: TestVm) => void): TestVm {
    const vm = longModeVm(0x4000);
    vm.load(0x4000, bytes);
    vm.load(0x4800, [0xf4]);
    vm.setReg(Reg.RBX, 0x6000);
    pointer(vm);
    return vm;
  }
  const m16_64 = (offset: bigint, selector: number) => (vm: TestVm) => {
    put64(vm, 0x6000, offset);
    vm.load(0x6008, [selector & 0xff, selector >> 8]);
  };

  it('m16:64 (REX.W) loads a 64-bit RIP; m16:32 reaches compatibility mode', () => {
    const vm = jumpVm([0x48, 0xff, 0x2b], m16_64(0x4800n, KCODE));
    vm.runExpect(ExitReason.HLT);
    expect([rip(vm), sel(vm, Seg.CS), codeSize(vm)]).toEqual([0x4801n, KCODE, 8]);
    const compat = jumpVm([0xff, 0x2b], (v) => v.load(0x6000, [0x00, 0x48, 0, 0, KCODE32, 0]));
    compat.runExpect(ExitReason.HLT);
    expect([rip(compat), sel(compat, Seg.CS), codeSize(compat)]).toEqual([0x4801n, KCODE32, 4]);
  });

  it.each([
    ['a non-canonical offset', m16_64(NON_CANONICAL, KCODE), 0],
    ['a TSS (no task switches in IA-32e mode)', m16_64(0x4800n, TSS_SEL), TSS_SEL],
    ['a 64-bit call gate whose upper half has a nonzero type field', (vm: TestVm) => {
      callGate64(vm, CALL_GATE, 0x4800, 0);
      vm.load(GDT + (CALL_GATE & ~7) + 13, [0x0c]); // type 12 in the upper half too
      m16_64(0n, CALL_GATE & ~3)(vm);
    }, CALL_GATE & ~3],
  ])('raises #GP to %s', (_what, pointer, errorCode) => {
    const vm = jumpVm([0x48, 0xff, 0x2b], pointer);
    expect(runToFault(vm)).toEqual({ vector: Vector.GP, errorCode, rip: 0x4000 });
    expect([rip(vm), sel(vm, Seg.CS), rsp(vm)]).toEqual([0x4000n, KCODE, BigInt(KSTACK)]);
  });
});
