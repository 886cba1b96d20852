// Canonical-address checks (SDM Vol. 1 3.3.7.1; Vol. 3A 6.15 Interrupts 12 and 13): in
// 64-bit mode a data reference to a non-canonical linear address is #SS(0) when it is
// SS-relative (pushes, pops, RSP- or RBP-based addressing) and #GP(0) otherwise; a near
// branch to a non-canonical target, or beyond the CS limit outside 64-bit mode, is #GP(0) at
// the branch with nothing committed (SDM Vol. 2A JMP, CALL, Jcc, LOOP; Vol. 2B RET).
import { describe, expect, it } from 'vitest';
import { Reg, Seg, SegAttr, Vector } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, type TestVm } from '../lib/machine.ts';
import { GDT, longModeVm } from './long-mode-guest.ts';
import { putDesc, segment } from './protection-guest.ts';
import { runToException } from './paging-lib.ts';

const CODE = 0x4000;
/** 0x0000_8000_0000_0000: the first non-canonical address above the lower half. */
const NON_CANONICAL = [0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00];
/** The GDT slot the LTR/LLDT test writes (the one long-mode-guest.ts keeps its TSS in). */
const SLOT = 0x40;
const movabs = (reg: number, imm: number[]): number[] => [0x48, 0xb8 + reg, ...imm];
const qword = (vm: TestVm, reg: number): bigint => vm.vcpu.cpu.state.get64('gpr', reg);

function run64(code: number[]): { vm: TestVm; fault: ReturnType<typeof runToException> } {
  const vm = longModeVm(CODE);
  vm.load(CODE, code);
  return { vm, fault: runToException(vm) };
}

describe('non-canonical data references in 64-bit mode', () => {
  it('mov rbx, [rax] with RAX = 0x8000_0000_0000 is #GP(0) at the mov', () => {
    const { fault } = run64([...movabs(Reg.RAX, NON_CANONICAL), 0x48, 0x8b, 0x18]);
    expect(fault).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE + 10 });
  });

  it('push with a non-canonical stack top is #SS(0), RSP unchanged', () => {
    // mov rsp, 0x8000_0000_0008; push rax: the write goes to 0x8000_0000_0000.
    const { vm, fault } = run64([0x48, 0xbc, 0x08, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x50]);
    expect(fault).toMatchObject({ vector: Vector.SS, errorCode: 0, rip: CODE + 10 });
    expect(qword(vm, Reg.RSP)).toBe(0x8000_0000_0008n);
  });

  it('an RBP-based operand defaults to SS: #SS(0)', () => {
    const { fault } = run64([...movabs(Reg.RBP, NON_CANONICAL), 0x48, 0x8b, 0x45, 0x00]);
    expect(fault).toMatchObject({ vector: Vector.SS, errorCode: 0, rip: CODE + 10 });
  });

  it('an 8-byte read at 0x7fff_ffff_fffc runs past the lower half: #GP(0)', () => {
    const { fault } = run64([...movabs(Reg.RAX, [0xfc, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0]), 0x48, 0x8b, 0x18]);
    expect(fault).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE + 10 });
  });

  it('fs:[rsp] is FS-relative, so a non-canonical FS base + RSP is #GP(0), not #SS', () => {
    const vm = longModeVm(CODE);
    vm.vcpu.cpu.state.set64('segBase', 0x7fff_ffff_8000n + 0x1000n, Seg.FS);
    vm.setReg(Reg.RSP, 0x8000);
    vm.load(CODE, [0x64, 0x48, 0x8b, 0x04, 0x24]); // mov rax, fs:[rsp]
    expect(runToException(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE });
  });
});

describe('addresses loaded into system registers', () => {
  it('LGDT and LIDT with a non-canonical base are #GP(0), GDTR/IDTR unchanged (SDM Vol. 2A LGDT)', () => {
    for (const modrm of [0x14, 0x1c]) {
      // lgdt/lidt [0x3000]: limit 0xffff, base 0x8000_0000_0000
      const vm = longModeVm(CODE);
      vm.load(0x3000, [0xff, 0xff, ...NON_CANONICAL]);
      vm.load(CODE, [0x0f, 0x01, modrm, 0x25, 0x00, 0x30, 0x00, 0x00]);
      const s = vm.vcpu.cpu.state;
      const before = [s.get64('gdtrBase'), s.get64('idtrBase')];
      expect(runToException(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE });
      expect([s.get64('gdtrBase'), s.get64('idtrBase')]).toEqual(before);
    }
  });

  it('LTR and LLDT of a 16-byte descriptor with a non-canonical base are #GP(selector) (SDM Vol. 2A LTR, LLDT)', () => {
    // An available 64-bit TSS (type 9) and an LDT (type 2) at GDT slot 8, base 63:32 = 0x8000.
    for (const [access, modrm] of [[0x89, 0xd8], [0x82, 0xd0]]) {
      const vm = longModeVm(CODE);
      putDesc(vm, GDT + SLOT, segment(0x3000, 0x67, access, 0));
      putDesc(vm, GDT + SLOT + 8, [0x8000, 0]);
      vm.load(CODE, [0x66, 0xb8, SLOT, 0x00, 0x0f, 0x00, modrm]); // mov ax, SLOT; ltr ax / lldt ax
      expect(runToException(vm)).toMatchObject({ vector: Vector.GP, errorCode: SLOT, rip: CODE + 4 });
    }
  });

  it('WRMSR of a non-canonical IA32_GS_BASE is #GP(0) in the guest', () => {
    // mov ecx, 0xc0000101; xor eax, eax; mov edx, 0x8000; wrmsr
    const vm = longModeVm(CODE);
    vm.load(CODE, [0xb9, 0x01, 0x01, 0x00, 0xc0, 0x31, 0xc0, 0xba, 0x00, 0x80, 0x00, 0x00, 0x0f, 0x30]);
    expect(runToException(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE + 12 });
  });
});

describe('near branches to a non-canonical target: #GP(0) at the branch', () => {
  it('jmp rax', () => {
    const { fault } = run64([...movabs(Reg.RAX, NON_CANONICAL), 0xff, 0xe0]);
    expect(fault).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE + 10 });
  });

  it('call rax pushes nothing', () => {
    const { vm, fault } = run64([...movabs(Reg.RAX, NON_CANONICAL), 0xff, 0xd0]);
    expect(fault).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE + 10 });
    expect(qword(vm, Reg.RSP)).toBe(0x8000n);
  });

  it('ret to a non-canonical return address leaves RSP as it was', () => {
    // mov rax, NC; push rax; ret
    const { vm, fault } = run64([...movabs(Reg.RAX, NON_CANONICAL), 0x50, 0xc3]);
    expect(fault).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE + 11 });
    expect(qword(vm, Reg.RSP)).toBe(0x8000n - 8n);
  });
});

describe('near branches beyond the CS limit (32-bit code): #GP(0) at the branch', () => {
  function limited(code: number[]): TestVm {
    const vm = createTestVm();
    enterFlat32(vm, CODE);
    vm.vcpu.cpu.setSegment(Seg.CS, 8, 0, 0x4fff, SegAttr.P | SegAttr.S | SegAttr.DB | 0xb);
    vm.vcpu.cpu.refreshMode();
    vm.load(CODE, code);
    return vm;
  }

  it('jmp rel32 to 0x6000', () => {
    const vm = limited([0xe9, 0xfb, 0x1f, 0x00, 0x00]);
    expect(runToException(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE });
  });

  it('call rel32 beyond the limit pushes nothing', () => {
    const vm = limited([0xe8, 0xfb, 0x1f, 0x00, 0x00]);
    const esp = vm.reg(Reg.RSP);
    expect(runToException(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE });
    expect(vm.reg(Reg.RSP)).toBe(esp);
  });

  it('a taken jz beyond the limit faults, a not-taken one falls through', () => {
    // xor eax, eax (ZF = 1); jnz far (not taken); jz far (taken)
    const vm = limited([0x31, 0xc0, 0x0f, 0x85, 0x00, 0x20, 0x00, 0x00, 0x0f, 0x84, 0x00, 0x20, 0x00, 0x00]);
    expect(runToException(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE + 8 });
  });

  it('loop beyond the limit leaves ECX unchanged', () => {
    // mov ecx, 5; loop to CODE + 7 + 0x7f ... placed past a limit of 0x4040
    const vm = limited([0xb9, 0x05, 0x00, 0x00, 0x00, 0xe2, 0x7f]);
    vm.vcpu.cpu.setSegment(Seg.CS, 8, 0, 0x4040, SegAttr.P | SegAttr.S | SegAttr.DB | 0xb);
    expect(runToException(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE + 5 });
    expect(vm.reg(Reg.RCX)).toBe(5);
  });
});
