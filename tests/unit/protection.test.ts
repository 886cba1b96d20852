// Protection and control transfer (SDM Vol. 3A chapters 5, 6, 7 and 20): real-mode INT/IRET,
// interrupts to the same and to an inner ring, selector faults, a call gate with parameters,
// RETF to an outer ring, task switches, and a triple fault. Guests build their own GDT, IDT
// and TSSs; expected values follow the SDM's stack and TSS layouts.
import { describe, expect, it } from 'vitest';
import { createTestVm, enterRealMode, ExitReason, type TestVm } from '../lib/machine.ts';
import { Cr0, Flag, Seg, SegAttr } from '../../core/cpu/registers.ts';
import {
  ABSENT_DATA_SEL, GATE_TARGET, GP_HANDLER, HANDLER80, HANDLER81, IDT, KCODE, KDATA, NP_HANDLER, RING0_STACK, RING3_STACK,
  TASK_B_CODE, TSS_A, TSS_A_SEL, TSS_B, TSS_B_SEL, UCODE, UDATA, USER_DATA_ATTR, cpl, enterRing3, esp, gdtType,
  gate, protectedVm, put32, putDesc, rip, sel, stackDwords, u16, u32,
} from './protection-guest.ts';

describe('real-mode interrupts (SDM Vol. 3A 20.1.4)', () => {
  it('INT pushes FLAGS, CS, IP through the IVT and IRET returns', () => {
    const vm = createTestVm();
    // 1000: mov ax, 0x1111; int 0x21; hlt
    vm.load(0x1000, [0xb8, 0x11, 0x11, 0xcd, 0x21, 0xf4]);
    // 2000: mov bp, sp; mov si, [bp]; mov di, [bp+2]; mov dx, [bp+4]; hlt; iret
    vm.load(0x2000, [0x89, 0xe5, 0x8b, 0x76, 0x00, 0x8b, 0x7e, 0x02, 0x8b, 0x56, 0x04, 0xf4, 0xcf]);
    vm.load(0x21 * 4, [0x00, 0x20, 0x00, 0x00]); // IVT[0x21] = 0000:2000
    enterRealMode(vm, 0x1000, 0x7000);
    vm.vcpu.cpu.state.setLo('rflags', Flag.FIXED1 | Flag.IF);
    vm.runExpect(ExitReason.HLT);
    expect([vm.reg(6) & 0xffff, vm.reg(7) & 0xffff, vm.reg(2) & 0xffff]).toEqual([0x1005, 0x0000, 0x0202]);
    expect(vm.reg(4) & 0xffff).toBe(0x7000 - 6);
    expect(vm.flags() & Flag.IF).toBe(0);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(0x1006);
    expect(vm.reg(4) & 0xffff).toBe(0x7000);
    expect(vm.flags() & Flag.IF).toBe(Flag.IF);
  });
});

describe('protected-mode interrupts (SDM Vol. 3A 6.12)', () => {
  it('INT to a same-privilege handler pushes EFLAGS, CS, EIP; IRET restores them', () => {
    const vm = protectedVm(0x4000);
    vm.load(0x4000, [0xcd, 0x80, 0xf4]); // int 0x80; hlt
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(HANDLER80 + 1);
    expect(esp(vm)).toBe(0x8000 - 12);
    expect(stackDwords(vm, 3)).toEqual([0x4002, KCODE, Flag.FIXED1 | Flag.IF]);
    expect(vm.flags() & Flag.IF).toBe(0); // interrupt gate
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(0x4003);
    expect(esp(vm)).toBe(0x8000);
    expect(vm.flags() & Flag.IF).toBe(Flag.IF);
  });

  it('INT from ring 3 switches to the ring-0 stack from the TSS and pushes SS, ESP, EFLAGS, CS, EIP', () => {
    const vm = protectedVm(0);
    // 6000: int 0x80; int 0x81
    vm.load(0x6000, [0xcd, 0x80, 0xcd, 0x81]);
    enterRing3(vm, 0x6000);
    vm.runExpect(ExitReason.HLT);
    expect(cpl(vm)).toBe(0);
    expect([sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([KCODE, KDATA]);
    expect(esp(vm)).toBe(RING0_STACK - 20);
    expect(stackDwords(vm, 5)).toEqual([0x6002, UCODE, Flag.FIXED1 | Flag.IF, RING3_STACK, UDATA]);
    // IRET to ring 3 restores SS:ESP; the next INT shows the same outer stack.
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(HANDLER81 + 1);
    expect(stackDwords(vm, 5)).toEqual([0x6004, UCODE, Flag.FIXED1 | Flag.IF, RING3_STACK, UDATA]);
  });

  it('INT n through a gate with DPL < CPL raises #GP(vector * 8 + 2) at the INT', () => {
    const vm = protectedVm(0);
    vm.load(0x6000, [0xcd, 0x82]); // int 0x82 (gate DPL 0)
    enterRing3(vm, 0x6000);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(GP_HANDLER + 1);
    expect(esp(vm)).toBe(RING0_STACK - 24);
    // Error code, then EIP of the INT; RF = 1 in the image of a fault (SDM Vol. 3B 18.3.1.1).
    expect(stackDwords(vm, 6)).toEqual([0x82 * 8 + 2, 0x6000, UCODE, Flag.FIXED1 | Flag.IF | Flag.RF, RING3_STACK, UDATA]);
  });
});

describe('segment register loads (SDM Vol. 3A 5.4-5.6, Vol. 2B MOV)', () => {
  it('a selector beyond the GDT limit raises #GP(selector with RPL cleared)', () => {
    const vm = protectedVm(0x4000);
    vm.load(0x4000, [0x66, 0xb8, 0x03, 0x10, 0x8e, 0xd8, 0xf4]); // mov ax, 0x1003; mov ds, ax; hlt
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(GP_HANDLER + 1);
    expect(stackDwords(vm, 4)).toEqual([0x1000, 0x4004, KCODE, Flag.FIXED1 | Flag.IF | Flag.RF]);
    expect(sel(vm, Seg.DS)).toBe(KDATA);
  });

  it('a not-present data segment raises #NP(selector)', () => {
    const vm = protectedVm(0x4000);
    vm.load(0x4000, [0x66, 0xb8, 0x38, 0x00, 0x8e, 0xc0, 0xf4]); // mov ax, 0x38; mov es, ax; hlt
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(NP_HANDLER + 1);
    expect(stackDwords(vm, 2)).toEqual([ABSENT_DATA_SEL, 0x4004]);
    expect(sel(vm, Seg.ES)).toBe(KDATA);
  });

  it('a valid load sets the accessed bit in the descriptor', () => {
    const vm = protectedVm(0x4000);
    vm.load(0x4000, [0x66, 0xb8, 0x23, 0x00, 0x8e, 0xe0, 0xf4]); // mov ax, 0x23; mov fs, ax; hlt
    vm.runExpect(ExitReason.HLT);
    expect(sel(vm, Seg.FS)).toBe(UDATA);
    expect(gdtType(vm, UDATA)).toBe(0x3);
  });
});

describe('far transfers (SDM Vol. 3A 5.8)', () => {
  it('CALL through a call gate copies the parameters to the inner stack; RETF 8 releases them on both', () => {
    const vm = protectedVm(0);
    // 6000: push 0x11111111; push 0x22222222; call 0x33:0; int 0x80; int 0x81
    vm.load(0x6000, [0x68, 0x11, 0x11, 0x11, 0x11, 0x68, 0x22, 0x22, 0x22, 0x22, 0x9a, 0, 0, 0, 0, 0x33, 0x00, 0xcd, 0x80, 0xcd, 0x81]);
    enterRing3(vm, 0x6000);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(GATE_TARGET + 1);
    expect(cpl(vm)).toBe(0);
    expect([sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([KCODE, KDATA]);
    // SDM Vol. 3A Figure 5-13: calling SS, ESP, the parameters in order, CS, EIP.
    expect(esp(vm)).toBe(RING0_STACK - 24);
    expect(stackDwords(vm, 6)).toEqual([0x6011, UCODE, 0x22222222, 0x11111111, RING3_STACK - 8, UDATA]);
    vm.runExpect(ExitReason.HLT); // retf 8 to ring 3, then int 0x80
    expect(rip(vm)).toBe(HANDLER80 + 1);
    expect(stackDwords(vm, 5)).toEqual([0x6013, UCODE, Flag.FIXED1 | Flag.IF, RING3_STACK, UDATA]);
  });

  it('RETF to an outer ring nulls data segment registers whose DPL < the new CPL', () => {
    const vm = protectedVm(0x4000);
    vm.load(0x4000, [0xcb]); // retf
    vm.load(0x6100, [0xcd, 0x81]); // int 0x81
    const cpu = vm.vcpu.cpu;
    cpu.setSegment(Seg.ES, UDATA, 0, 0xffffffff, USER_DATA_ATTR);
    vm.setReg(4, 0x7ff0);
    [0x6100, UCODE, RING3_STACK, UDATA].forEach((v, i) => put32(vm, 0x7ff0 + 4 * i, v));
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(HANDLER81 + 1);
    expect(stackDwords(vm, 5)).toEqual([0x6102, UCODE, Flag.FIXED1 | Flag.IF, RING3_STACK, UDATA]);
    expect(sel(vm, Seg.DS)).toBe(0);
    expect(cpu.state.getU32('segAttr', Seg.DS) & SegAttr.UNUSABLE).toBe(SegAttr.UNUSABLE);
    expect(sel(vm, Seg.ES)).toBe(UDATA);
  });
});

describe('task switches (SDM Vol. 3A 7.3)', () => {
  /** TSS B: EIP at task B's code, ESP 0x7000, flat ring-0 segments, EFLAGS with only bit 1. */
  function withTaskB(vm: TestVm): void {
    put32(vm, TSS_B + 0x20, TASK_B_CODE);
    put32(vm, TSS_B + 0x24, Flag.FIXED1);
    put32(vm, TSS_B + 0x38, 0x7000);
    [KDATA, KCODE, KDATA, KDATA, KDATA, KDATA].forEach((v, i) => put32(vm, TSS_B + 0x48 + 4 * i, v));
    vm.load(TASK_B_CODE, [0xb8, 0xb0, 0xb0, 0xb0, 0xb0, 0xf4, 0xcf]); // mov eax, 0xb0b0b0b0; hlt; iret
  }

  it('CALL to a TSS nests (NT, back link, busy bits); IRET with NT returns to the caller', () => {
    const vm = protectedVm(0x4000);
    withTaskB(vm);
    vm.load(0x4000, [0x9a, 0, 0, 0, 0, 0x40, 0x00, 0xf4]); // call 0x40:0; hlt
    vm.setReg(0, 0xa0a0a0a0);
    vm.runExpect(ExitReason.HLT);
    const s = vm.vcpu.cpu.state;
    expect(rip(vm)).toBe(TASK_B_CODE + 6);
    expect(sel(vm, Seg.TR)).toBe(TSS_B_SEL);
    expect([vm.reg(0), esp(vm)]).toEqual([0xb0b0b0b0, 0x7000]);
    expect(vm.flags() & Flag.NT).toBe(Flag.NT);
    expect(s.getLo('cr0') & Cr0.TS).toBe(Cr0.TS);
    expect(u16(vm, TSS_B)).toBe(TSS_A_SEL);
    expect([gdtType(vm, TSS_A_SEL), gdtType(vm, TSS_B_SEL)]).toEqual([0xb, 0xb]);
    // The outgoing state went into TSS A: EIP after the CALL, EFLAGS, EAX.
    expect([u32(vm, TSS_A + 0x20), u32(vm, TSS_A + 0x24), u32(vm, TSS_A + 0x28)]).toEqual([0x4007, Flag.FIXED1 | Flag.IF, 0xa0a0a0a0]);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(0x4008);
    expect(sel(vm, Seg.TR)).toBe(TSS_A_SEL);
    expect(vm.reg(0)).toBe(0xa0a0a0a0);
    expect(vm.flags() & (Flag.NT | Flag.IF)).toBe(Flag.IF);
    expect([gdtType(vm, TSS_A_SEL), gdtType(vm, TSS_B_SEL)]).toEqual([0xb, 0x9]);
    // IRET saved task B with NT cleared and EIP after the IRET.
    expect([u32(vm, TSS_B + 0x20), u32(vm, TSS_B + 0x24)]).toEqual([TASK_B_CODE + 7, Flag.FIXED1]);
  });

  it('JMP to a TSS frees the old task and neither links nor nests', () => {
    const vm = protectedVm(0x4000);
    withTaskB(vm);
    vm.load(0x4000, [0xea, 0, 0, 0, 0, 0x40, 0x00]); // jmp 0x40:0
    vm.runExpect(ExitReason.HLT);
    expect(sel(vm, Seg.TR)).toBe(TSS_B_SEL);
    expect(vm.flags() & Flag.NT).toBe(0);
    expect(u16(vm, TSS_B)).toBe(0);
    expect([gdtType(vm, TSS_A_SEL), gdtType(vm, TSS_B_SEL)]).toEqual([0x9, 0xb]);
    expect(u32(vm, TSS_A + 0x20)).toBe(0x4007);
  });
});

describe('faults after a task switch commits (SDM Vol. 3A 7.3, Table 7-1)', () => {
  it('a bad data segment selector in the new TSS raises #TS in the context of the new task', () => {
    const vm = protectedVm(0x4000);
    put32(vm, TSS_B + 0x20, TASK_B_CODE);
    put32(vm, TSS_B + 0x24, Flag.FIXED1);
    put32(vm, TSS_B + 0x38, 0x7000);
    [KDATA, KCODE, KDATA, 0x1003, KDATA, KDATA].forEach((v, i) => put32(vm, TSS_B + 0x48 + 4 * i, v)); // DS beyond the GDT
    putDesc(vm, IDT + 10 * 8, gate(KCODE, HANDLER81, 0xe, 0));
    vm.load(0x4000, [0xea, 0, 0, 0, 0, 0x40, 0x00]); // jmp 0x40:0
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(HANDLER81 + 1);
    expect(sel(vm, Seg.TR)).toBe(TSS_B_SEL);
    expect(esp(vm)).toBe(0x7000 - 16);
    expect(stackDwords(vm, 4)).toEqual([0x1000, TASK_B_CODE, KCODE, Flag.FIXED1 | Flag.RF]);
    expect(u32(vm, TSS_A + 0x20)).toBe(0x4007);
  });
});

describe('double and triple faults (SDM Vol. 3A 6.15)', () => {
  it('an exception with an IDT limit of 0 shuts the processor down', () => {
    const vm = protectedVm(0x4000);
    vm.vcpu.cpu.state.setU32('idtrLimit', 0);
    vm.load(0x4000, [0x66, 0xb8, 0x03, 0x10, 0x8e, 0xd8]); // mov ax, 0x1003; mov ds, ax
    expect(vm.runExpect(ExitReason.SHUTDOWN).detail).toMatch(/triple fault/);
  });
});
