// Segment loads that change the stack, restartable faults of POP Sreg, INTO, and exceptions
// through a task gate (SDM Vol. 2B MOV, POP, LDS/LSS, INTO; Vol. 3A 6.11, 7.3).
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../lib/machine.ts';
import { Flag, Seg } from '../../core/cpu/registers.ts';
import {
  ABSENT_DATA_SEL, DATA16_SEL, GP_HANDLER, HANDLER81, IDT, KCODE, KDATA, NP_HANDLER, TSS_A, TSS_A_SEL, TSS_B, TSS_B_SEL,
  esp, gate, protectedVm, put32, putDesc, rip, sel, stackDwords, u16, u32,
} from './protection-guest.ts';

describe('stack segment loads', () => {
  it('MOV SS to a 16-bit segment switches the stack to SP (only the low word of ESP changes)', () => {
    const vm = protectedVm(0x4000);
    vm.load(0x4000, [0x66, 0xb8, 0x48, 0x00, 0x8e, 0xd0, 0x50, 0xf4]); // mov ax, 0x48; mov ss, ax; push eax; hlt
    vm.setReg(4, 0x12348000);
    vm.runExpect(ExitReason.HLT);
    expect(sel(vm, Seg.SS)).toBe(DATA16_SEL);
    expect(esp(vm)).toBe(0x12347ffc);
    expect(u32(vm, 0x7ffc)).toBe(0x48);
  });

  it('MOV SS with a not-present segment raises #SS(selector)', () => {
    const vm = protectedVm(0x4000);
    vm.load(0x4000, [0x66, 0xb8, 0x38, 0x00, 0x8e, 0xd0]); // mov ax, 0x38; mov ss, ax
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(NP_HANDLER + 1);
    expect(stackDwords(vm, 2)).toEqual([ABSENT_DATA_SEL, 0x4004]);
  });

  it('LSS and LDS load the offset into the register and the selector into the segment', () => {
    const vm = protectedVm(0x4000);
    vm.load(0x4000, [0x0f, 0xb2, 0x25, 0x00, 0x70, 0x00, 0x00, 0xc5, 0x35, 0x00, 0x70, 0x00, 0x00, 0xf4]); // lss esp, [0x7000]; lds esi, [0x7000]; hlt
    put32(vm, 0x7000, 0x6000);
    vm.load(0x7004, [KDATA, 0]);
    vm.runExpect(ExitReason.HLT);
    expect([esp(vm), vm.reg(6), sel(vm, Seg.SS), sel(vm, Seg.DS)]).toEqual([0x6000, 0x6000, KDATA, KDATA]);
  });

  it('POP DS with a bad selector faults before ESP moves', () => {
    const vm = protectedVm(0x4000);
    vm.load(0x4000, [0x68, 0x03, 0x10, 0x00, 0x00, 0x1f, 0xf4]); // push 0x1003; pop ds; hlt
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(GP_HANDLER + 1);
    expect(stackDwords(vm, 5)).toEqual([0x1000, 0x4005, KCODE, Flag.FIXED1 | Flag.IF | Flag.RF, 0x1003]);
  });
});

describe('INTO (SDM Vol. 2A INT n/INTO)', () => {
  it('raises #OF as a trap when OF = 1', () => {
    const vm = protectedVm(0x4000);
    vm.load(0x4000, [0xb8, 0xff, 0xff, 0xff, 0x7f, 0x83, 0xc0, 0x01, 0xce, 0xf4]); // mov eax, 0x7fffffff; add eax, 1; into; hlt
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(HANDLER81 + 1);
    expect(stackDwords(vm, 2)).toEqual([0x4009, KCODE]);
  });

  it('does nothing when OF = 0', () => {
    const vm = protectedVm(0x4000);
    vm.load(0x4000, [0x31, 0xc0, 0xce, 0xf4]); // xor eax, eax; into; hlt
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(0x4004);
  });
});

describe('exceptions through a task gate (SDM Vol. 3A 6.11.3, 7.3)', () => {
  it('switches to the handler task with nesting and pushes the error code on its stack', () => {
    const vm = protectedVm(0x4000);
    putDesc(vm, IDT + 13 * 8, gate(TSS_B_SEL, 0, 0x5, 0));
    put32(vm, TSS_B + 0x20, 0x5500);
    put32(vm, TSS_B + 0x24, Flag.FIXED1);
    put32(vm, TSS_B + 0x38, 0x7000);
    [KDATA, KCODE, KDATA, KDATA, KDATA, KDATA].forEach((v, i) => put32(vm, TSS_B + 0x48 + 4 * i, v));
    vm.load(0x5500, [0xf4]);
    vm.load(0x4000, [0x66, 0xb8, 0x03, 0x10, 0x8e, 0xd8]); // mov ax, 0x1003; mov ds, ax
    vm.runExpect(ExitReason.HLT);
    expect(sel(vm, Seg.TR)).toBe(TSS_B_SEL);
    expect(esp(vm)).toBe(0x7000 - 4);
    expect(u32(vm, 0x7000 - 4)).toBe(0x1000);
    expect(vm.flags() & Flag.NT).toBe(Flag.NT);
    expect(u16(vm, TSS_B)).toBe(TSS_A_SEL);
    // The old task resumes at the faulting instruction.
    expect(u32(vm, TSS_A + 0x20)).toBe(0x4004);
  });
});
