// Interrupt and exception delivery in IA-32e mode (SDM Vol. 3A 6.14; Vol. 2A INT n
// "IA-32e-MODE"): 16-byte gates, IST stacks from the 64-bit TSS, the 16-byte alignment of the
// new RSP and the frame of SS, RSP, RFLAGS, CS, RIP and error code as 8-byte values, pushed
// at every privilege level; IRETQ back to 64-bit and to compatibility mode.
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../lib/machine.ts';
import { Flag, Reg, Seg, SegAttr, Vector } from '../../core/cpu/registers.ts';
import { runToFault } from './system-lib.ts';
import {
  GATE64_INTERRUPT, GATE64_TRAP, KCODE, KCODE32, KDATA, MMIO_EXIT32, RSP0, TSS, UCODE, UCODE32, UDATA, USTACK, codeSize, cpl,
  enterUser, idtGate, longModeVm, put64, rip, rsp, sel, stackQwords,
} from './long-mode-guest.ts';

const GP_HANDLER = 0x5000; // hlt
const HANDLER = 0x5100; // hlt; iretq
const TSS_IST1 = TSS + 36;

describe('64-bit IDT delivery (SDM Vol. 3A 6.14)', () => {
  it('an exception from ring 3 through a gate with IST = 1 takes the IST1 stack, aligned to 16, and pushes SS RSP RFLAGS CS RIP and the error code', () => {
    const vm = longModeVm(0);
    vm.load(0x10000, [0xcd, 0x81]); // int 0x81: its gate has DPL 0, so #GP(0x81 * 8 + 2)
    vm.load(GP_HANDLER, [0xf4]);
    idtGate(vm, 0x81, HANDLER, GATE64_INTERRUPT, 0);
    idtGate(vm, Vector.GP, GP_HANDLER, GATE64_INTERRUPT, 0, 1);
    put64(vm, TSS_IST1, 0x9408n); // IST1, not 16-byte aligned; RSP0 (0x9000) is not used
    enterUser(vm, 0x10000);
    vm.vcpu.cpu.state.setLo('rflags', Flag.FIXED1 | Flag.IF);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(BigInt(GP_HANDLER + 1));
    expect([cpl(vm), sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([0, KCODE, 0]);
    // The new SS is a null selector with RPL = the new CPL (SDM Vol. 3A 6.14.4).
    expect(vm.vcpu.cpu.state.getU32('segAttr', Seg.SS) & SegAttr.UNUSABLE).toBe(SegAttr.UNUSABLE);
    expect(rsp(vm)).toBe(0x9400n - 48n);
    // Figure 6-9: error code, RIP of the faulting INT, CS, RFLAGS (RF = 1 for a fault), RSP, SS.
    expect(stackQwords(vm, 6)).toEqual([0x81n * 8n + 2n, 0x10000n, BigInt(UCODE), BigInt(Flag.FIXED1 | Flag.IF | Flag.RF), BigInt(USTACK), BigInt(UDATA)]);
    expect(vm.flags() & (Flag.IF | Flag.RF)).toBe(0); // interrupt gate
  });

  it('INT n at the same level through a trap gate still pushes SS:RSP, aligns RSP and keeps IF; IRETQ pops all five', () => {
    const vm = longModeVm(0x4000);
    vm.load(0x4000, [0xcd, 0x80, 0xf4]); // int 0x80; hlt
    vm.load(HANDLER, [0xf4, 0x48, 0xcf]); // hlt; iretq
    idtGate(vm, 0x80, HANDLER, GATE64_TRAP, 0);
    vm.vcpu.cpu.state.setLo('rflags', Flag.FIXED1 | Flag.IF);
    vm.setReg(Reg.RSP, 0x7ff8);
    vm.runExpect(ExitReason.HLT);
    expect(rsp(vm)).toBe(0x7ff0n - 40n);
    expect(stackQwords(vm, 5)).toEqual([0x4002n, BigInt(KCODE), BigInt(Flag.FIXED1 | Flag.IF), 0x7ff8n, BigInt(KDATA)]);
    expect(vm.flags() & Flag.IF).toBe(Flag.IF);
    vm.runExpect(ExitReason.HLT);
    expect([rip(vm), rsp(vm)]).toEqual([0x4003n, 0x7ff8n]);
    expect([sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([KCODE, KDATA]);
  });

  it('from compatibility mode: a 64-bit frame on the RSP0 stack; IRETQ returns to compatibility mode', () => {
    const vm = longModeVm(0);
    vm.load(0x10000, [0xcd, 0x80, ...MMIO_EXIT32]); // int 0x80; mov [0x10000000], al
    vm.load(HANDLER, [0xf4, 0x48, 0xcf]);
    idtGate(vm, 0x80, HANDLER, GATE64_INTERRUPT, 3);
    enterUser(vm, 0x10000, UCODE32);
    vm.vcpu.cpu.state.setLo('rflags', Flag.FIXED1 | Flag.IF);
    vm.runExpect(ExitReason.HLT);
    expect([cpl(vm), codeSize(vm), rsp(vm)]).toEqual([0, 8, BigInt(RSP0 - 40)]);
    expect(stackQwords(vm, 5)).toEqual([0x10002n, BigInt(UCODE32), BigInt(Flag.FIXED1 | Flag.IF), BigInt(USTACK), BigInt(UDATA)]);
    vm.runExpect(ExitReason.MMIO);
    expect([cpl(vm), codeSize(vm), rip(vm), rsp(vm)]).toEqual([3, 4, 0x10002n, BigInt(USTACK)]);
    expect([sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([UCODE32, UDATA]);
    expect(vm.flags() & Flag.IF).toBe(Flag.IF);
  });

  it('an external interrupt pushes the interrupted RIP exactly, as a 64-bit value in the upper canonical half', () => {
    const vm = longModeVm(0);
    vm.load(HANDLER, [0xf4]);
    idtGate(vm, 0x30, HANDLER, GATE64_INTERRUPT, 0);
    vm.vcpu.cpu.state.set64('rip', 0xffff_8000_0001_2345n);
    vm.vcpu.cpu.state.setLo('rflags', Flag.FIXED1 | Flag.IF);
    vm.vcpu.interrupt(0x30); // delivered before any instruction at that RIP runs
    vm.runExpect(ExitReason.HLT);
    expect(stackQwords(vm, 2)).toEqual([0xffff_8000_0001_2345n, BigInt(KCODE)]);
  });

  it.each([
    // A 16-bit interrupt gate type does not exist in IA-32e mode: #GP(vector * 8 + 2).
    ['a legacy gate type', (vm: ReturnType<typeof longModeVm>) => idtGate(vm, 0x80, HANDLER, 0x6, 0), Vector.GP, 0x80 * 8 + 2],
    // The handler must be 64-bit code: #GP(selector).
    ['a 32-bit code segment', (vm: ReturnType<typeof longModeVm>) => idtGate(vm, 0x80, HANDLER, GATE64_INTERRUPT, 0, 0, KCODE32), Vector.GP, KCODE32],
    // A non-canonical IST pointer: #SS(EXT), EXT = 0 for INT n.
    [
      'a non-canonical IST2',
      (vm: ReturnType<typeof longModeVm>) => {
        idtGate(vm, 0x80, HANDLER, GATE64_INTERRUPT, 0, 2);
        put64(vm, TSS_IST1 + 8, 0x0000_8000_0000_0000n);
      },
      Vector.SS,
      0,
    ],
  ])('INT 0x80 through %s faults before anything changes', (_what, setUp, vector, errorCode) => {
    const vm = longModeVm(0x4000);
    vm.load(0x4000, [0xcd, 0x80]);
    setUp(vm);
    expect(runToFault(vm)).toEqual({ vector, errorCode, rip: 0x4000 });
    expect([cpl(vm), rsp(vm), sel(vm, Seg.CS)]).toEqual([0, 0x8000n, KCODE]);
  });
});
