// Far transfers in real mode, virtual-8086 mode entry and exit through IRETD and interrupts
// (SDM Vol. 3A 20.1, 20.3), and the 16-bit interrupt gate frame (SDM Vol. 3A 6.12.1).
import { describe, expect, it } from 'vitest';
import { createTestVm, enterRealMode, ExitReason } from '../lib/machine.ts';
import { Flag, Seg, SegAttr } from '../../core/cpu/registers.ts';
import {
  GDT, GP_HANDLER, HANDLER80, HANDLER81, KCODE, KDATA, RING0_STACK, cpl, esp, protectedVm, put32, putDesc, rip, segment,
  sel, stackDwords, u16,
} from './protection-guest.ts';

describe('real-mode far transfers (SDM Vol. 2A CALL, JMP; Vol. 2B RET)', () => {
  it('CALL far pushes CS:IP, RETF pops them, JMP far loads CS with base = selector * 16', () => {
    const vm = createTestVm();
    vm.load(0x1000, [0x9a, 0x10, 0x00, 0x00, 0x02, 0xea, 0x20, 0x00, 0x00, 0x03]); // call 0x0200:0x0010; jmp 0x0300:0x0020
    vm.load(0x2010, [0xcb]); // retf
    vm.load(0x3020, [0xf4]); // hlt
    enterRealMode(vm, 0x1000, 0x7000);
    vm.runExpect(ExitReason.HLT);
    const s = vm.vcpu.cpu.state;
    expect([sel(vm, Seg.CS), s.getNum('segBase', Seg.CS), rip(vm)]).toEqual([0x0300, 0x3000, 0x21]);
    expect(vm.reg(4) & 0xffff).toBe(0x7000);
    // The return address RETF popped: IP 0x1005, CS 0.
    expect([u16(vm, 0x7000 - 4), u16(vm, 0x7000 - 2)]).toEqual([0x1005, 0x0000]);
  });
});

describe('real-mode segment loads (SDM Vol. 3A 20.1.1)', () => {
  it('MOV and POP Sreg set base = selector * 16; an unusable register becomes 64-KiB data', () => {
    const vm = createTestVm();
    // mov ax, 0x1234; mov ds, ax; mov word [0x10], 0xbeef; pop es; hlt
    vm.load(0x1000, [0xb8, 0x34, 0x12, 0x8e, 0xd8, 0xc7, 0x06, 0x10, 0x00, 0xef, 0xbe, 0x07, 0xf4]);
    enterRealMode(vm, 0x1000, 0x7000);
    vm.load(0x7000, [0x00, 0x20]); // the word POP ES takes
    const cpu = vm.vcpu.cpu;
    cpu.setSegment(Seg.ES, 0, 0, 0, SegAttr.UNUSABLE);
    vm.runExpect(ExitReason.HLT);
    expect(u16(vm, 0x12340 + 0x10)).toBe(0xbeef);
    const s = cpu.state;
    expect([sel(vm, Seg.ES), s.getNum('segBase', Seg.ES), s.getU32('segLimit', Seg.ES)]).toEqual([0x2000, 0x20000, 0xffff]);
    expect(s.getU32('segAttr', Seg.ES) & SegAttr.UNUSABLE).toBe(0);
  });
});

describe('virtual-8086 mode (SDM Vol. 3A 20.2, 20.3)', () => {
  const VM86_CS = 0x0700;
  const VM86_SS = 0x0800;
  const [ES, DS, FS, GS] = [0x0900, 0x0a00, 0x0b00, 0x0c00];

  /** Ring-0 code at 0x4000 doing IRETD into virtual-8086 mode at 0700:0100 with `eflags`. */
  function enterVm86(eflags: number): ReturnType<typeof protectedVm> {
    const vm = protectedVm(0x4000);
    vm.load(0x4000, [0xcf]); // iretd
    vm.load(VM86_CS * 16 + 0x100, [0xcd, 0x80, 0xcd, 0x81]); // int 0x80; int 0x81
    vm.setReg(4, 0x8000 - 36);
    [0x100, VM86_CS, eflags, 0x0200, VM86_SS, ES, DS, FS, GS].forEach((v, i) => put32(vm, 0x8000 - 36 + 4 * i, v));
    return vm;
  }
  const VM_IOPL3 = Flag.VM | Flag.IOPL | Flag.IF | Flag.FIXED1;

  it('IRETD at CPL 0 with VM = 1 enters virtual-8086 mode; INT n returns to ring 0 with the segment registers pushed and cleared', () => {
    const vm = enterVm86(VM_IOPL3);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(HANDLER80 + 1);
    expect(cpl(vm)).toBe(0);
    expect(vm.flags() & (Flag.VM | Flag.IF)).toBe(0);
    // SDM Vol. 3A Figure 20-5: GS FS DS ES SS ESP EFLAGS CS EIP, from the top down.
    expect(esp(vm)).toBe(RING0_STACK - 36);
    expect(stackDwords(vm, 9)).toEqual([0x102, VM86_CS, VM_IOPL3, 0x0200, VM86_SS, ES, DS, FS, GS]);
    expect([Seg.ES, Seg.DS, Seg.FS, Seg.GS].map((seg) => sel(vm, seg))).toEqual([0, 0, 0, 0]);
    // IRETD back to virtual-8086 mode reloads them; the next INT shows the same frame.
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(HANDLER81 + 1);
    expect(stackDwords(vm, 9)).toEqual([0x104, VM86_CS, VM_IOPL3, 0x0200, VM86_SS, ES, DS, FS, GS]);
  });

  it('virtual-8086 segment registers have base = selector * 16', () => {
    const vm = enterVm86(VM_IOPL3);
    vm.load(VM86_CS * 16 + 0x100, [0xc7, 0x06, 0x10, 0x00, 0xef, 0xbe, 0xcd, 0x81]); // mov word [0x10], 0xbeef; int 0x81
    vm.runExpect(ExitReason.HLT);
    expect(u16(vm, DS * 16 + 0x10)).toBe(0xbeef);
    expect(stackDwords(vm, 2)).toEqual([0x108, VM86_CS]);
  });

  it('MOV Sreg in virtual-8086 mode sets base = selector * 16', () => {
    const vm = enterVm86(VM_IOPL3);
    // mov ax, 0x0d00; mov es, ax; mov word [es:0x10], 0xbeef; int 0x81
    vm.load(VM86_CS * 16 + 0x100, [0xb8, 0x00, 0x0d, 0x8e, 0xc0, 0x26, 0xc7, 0x06, 0x10, 0x00, 0xef, 0xbe, 0xcd, 0x81]);
    vm.runExpect(ExitReason.HLT);
    expect(u16(vm, 0xd010)).toBe(0xbeef);
    expect(stackDwords(vm, 9)[5]).toBe(0x0d00); // ES in the frame
  });

  it('IRET in virtual-8086 mode with IOPL = 3 pops FLAGS but keeps IOPL and VM', () => {
    const vm = enterVm86(VM_IOPL3);
    vm.load(VM86_CS * 16 + 0x100, [0xcf]); // iret
    vm.load(VM86_CS * 16 + 0x300, [0xcd, 0x81]); // int 0x81
    put32(vm, 0x8000 - 36 + 12, 0x1fa); // vm86 SP: a 16-bit IRET frame at SS:01FA
    vm.load(VM86_SS * 16 + 0x1fa, [0x00, 0x03, 0x00, 0x07, 0x02, 0x00]); // IP 0300, CS 0700, FLAGS 0002
    vm.runExpect(ExitReason.HLT);
    expect(stackDwords(vm, 5)).toEqual([0x302, VM86_CS, Flag.VM | Flag.IOPL | Flag.FIXED1, 0x200, VM86_SS]);
  });

  it('INT n in virtual-8086 mode with IOPL < 3 raises #GP(0)', () => {
    const vm = enterVm86(Flag.VM | Flag.IF | Flag.FIXED1);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(GP_HANDLER + 1);
    expect(stackDwords(vm, 4)).toEqual([0, 0x100, VM86_CS, Flag.VM | Flag.IF | Flag.FIXED1 | Flag.RF]);
  });
});

describe('16-bit gates (SDM Vol. 3A 6.12.1)', () => {
  it('a 16-bit interrupt gate pushes FLAGS, CS, IP as words', () => {
    const vm = protectedVm(0x4000);
    vm.load(0x4000, [0xcd, 0x83]); // int 0x83
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(HANDLER81 + 1);
    expect(esp(vm)).toBe(0x8000 - 6);
    expect([0, 2, 4].map((o) => u16(vm, esp(vm) + o))).toEqual([0x4002, KCODE, Flag.FIXED1 | Flag.IF]);
  });
});

describe('16-bit TSS (SDM Vol. 3A 7.6, Figure 7-11)', () => {
  it('JMP to a 16-bit TSS loads IP, FLAGS, the word registers and ES CS SS DS from it', () => {
    const vm = protectedVm(0x4000);
    const tss16 = 0x3200;
    putDesc(vm, GDT + 0x50, segment(tss16, 0x2b, 0x81, 0)); // available 16-bit TSS
    vm.vcpu.cpu.state.setU32('gdtrLimit', 0x57);
    const words = { 0x0e: 0x5600, 0x10: Flag.FIXED1, 0x12: 0x1234, 0x1a: 0x6000, 0x22: KDATA, 0x24: KCODE, 0x26: KDATA, 0x28: KDATA };
    for (const [off, v] of Object.entries(words)) vm.load(tss16 + Number(off), [v & 0xff, v >> 8]);
    vm.load(0x5600, [0xf4]);
    vm.load(0x4000, [0xea, 0, 0, 0, 0, 0x50, 0x00]); // jmp 0x50:0
    vm.runExpect(ExitReason.HLT);
    expect([sel(vm, Seg.TR), rip(vm), vm.reg(0) & 0xffff, vm.reg(4) & 0xffff]).toEqual([0x50, 0x5601, 0x1234, 0x6000]);
    expect([sel(vm, Seg.CS), sel(vm, Seg.SS), sel(vm, Seg.DS), sel(vm, Seg.ES)]).toEqual([KCODE, KDATA, KDATA, KDATA]);
    expect(vm.ram[GDT + 0x50 + 5] & 0xf).toBe(0x3); // busy 16-bit TSS
  });
});
