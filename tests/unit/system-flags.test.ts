// CLI, STI (with its interrupt shadow), PUSHF and POPF against the SDM (Vol. 2A CLI, STI,
// Vol. 2B PUSHF, POPF "Operation", Vol. 3A 6.8.3).
import { describe, expect, it } from 'vitest';
import { Flag, Vector } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, enterRealMode, ExitReason, type TestVm } from '../lib/machine.ts';
import { enterRing3, enterVm86, MMIO_EXIT, runToFault, setIvt } from './system-lib.ts';

const CODE = 0x1000;

function ring3(code: number[], eflags: number): TestVm {
  const vm = createTestVm();
  vm.load(CODE, [...code, ...MMIO_EXIT]);
  enterFlat32(vm, CODE);
  enterRing3(vm);
  vm.vcpu.cpu.state.setLo('rflags', eflags);
  return vm;
}

describe('STI and CLI', () => {
  it('STI holds off a pending interrupt until the instruction after it has run', () => {
    const vm = createTestVm();
    vm.load(CODE, [0xfb, 0x40, 0x40, 0xf4]); // sti; inc ax; inc ax; hlt
    vm.load(0x2000, [0x89, 0xc1, 0xf4]); //    handler: mov cx, ax; hlt
    setIvt(vm, 0x20, 0x2000);
    enterRealMode(vm, CODE);
    vm.setReg(1, 0xffff);
    vm.vcpu.interrupt(0x20);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(1) & 0xffff).toBe(1); // one INC ran under the shadow, then the interrupt
    expect(vm.vcpu.cpu.state.getLo('rip')).toBe(0x2003);
  });

  it('STI with IF already 1 opens no shadow', () => {
    const vm = createTestVm();
    vm.load(CODE, [0xfb, 0xf4]);
    enterRealMode(vm, CODE);
    vm.vcpu.cpu.state.setLo('rflags', Flag.FIXED1 | Flag.IF);
    vm.runExpect(ExitReason.HLT);
    expect(vm.vcpu.cpu.state.getU32('interruptShadow')).toBe(0);
  });

  it('CLI and STI are #GP(0) when CPL > IOPL, and allowed with IOPL 3', () => {
    expect(runToFault(ring3([0xfa], Flag.FIXED1 | Flag.IF))).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE });
    expect(runToFault(ring3([0xfb], Flag.FIXED1))).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE });
    const vm = ring3([0xfa], Flag.FIXED1 | Flag.IF | Flag.IOPL);
    vm.runExpect(ExitReason.MMIO);
    expect(vm.flags()).toBe(Flag.FIXED1 | Flag.IOPL);
  });
});

describe('POPF', () => {
  // push 0x243cd5 (ID AC IOPL=3 OF DF SF ZF AF PF CF, IF = 0); popfd
  const popAll = [0x68, 0xd5, 0x3c, 0x24, 0x00, 0x9d];

  it('at CPL 3 with IOPL 0 changes neither IF nor IOPL', () => {
    const vm = ring3(popAll, Flag.FIXED1 | Flag.IF);
    vm.runExpect(ExitReason.MMIO);
    expect(vm.flags()).toBe(0x240ed7); // 0x243cd5 with IOPL 0 and IF 1 kept
  });

  it('at CPL 3 with IOPL 3 changes IF but not IOPL', () => {
    const vm = ring3([0x6a, 0x00, 0x9d], Flag.FIXED1 | Flag.IF | Flag.IOPL); // push 0; popfd
    vm.runExpect(ExitReason.MMIO);
    expect(vm.flags()).toBe(Flag.FIXED1 | Flag.IOPL);
  });

  it('at CPL 0 loads IF and IOPL, never VM or RF, and toggles AC and ID', () => {
    const vm = createTestVm();
    vm.load(CODE, [
      0x68, 0x02, 0x32, 0x03, 0x00, // push 0x33202 (VM RF IOPL=3 IF)
      0x9d, //                         popfd
      0x9c, //                         pushfd
      0x5b, //                         pop ebx
      0x68, 0x02, 0x00, 0x24, 0x00, // push 0x240002 (ID AC)
      0x9d, //                         popfd
      0x9c, //                         pushfd
      0x59, //                         pop ecx
      0xf4,
    ]);
    enterFlat32(vm, CODE);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(3)).toBe(0x3202);
    expect(vm.reg(1)).toBe(0x240002);
  });

  it('in real mode loads the whole 16-bit FLAGS image, IOPL included', () => {
    const vm = createTestVm();
    vm.load(CODE, [0x68, 0x46, 0x32, 0x9d, 0xf4]); // push 0x3246; popf; hlt
    enterRealMode(vm, CODE);
    vm.runExpect(ExitReason.HLT);
    expect(vm.flags()).toBe(0x3246);
  });

  it('in virtual-8086 mode needs IOPL 3 (#GP(0)) and then leaves IOPL alone', () => {
    const denied = createTestVm();
    denied.load(CODE, [0x6a, 0x00, 0x9d]); // push 0; popf
    enterVm86(denied, CODE, 0);
    expect(runToFault(denied)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE + 2 });

    const vm = createTestVm();
    vm.load(CODE, [0x6a, 0x00, 0x9d, 0xfa, 0xf4]); // push 0; popf; cli; hlt
    enterVm86(vm, CODE, 3);
    expect(runToFault(vm)).toMatchObject({ vector: Vector.GP, rip: CODE + 4 }); // HLT is privileged
    expect(vm.flags()).toBe(Flag.FIXED1 | Flag.VM | Flag.IOPL);
  });
});

describe('PUSHF', () => {
  it('clears RF in the pushed image', () => {
    const vm = createTestVm();
    vm.load(CODE, [0x9c, 0x58, 0xf4]); // pushfd; pop eax; hlt
    enterFlat32(vm, CODE);
    vm.vcpu.cpu.state.setLo('rflags', Flag.FIXED1 | Flag.RF | Flag.CF);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(0)).toBe(Flag.FIXED1 | Flag.CF);
  });

  it('is #GP(0) in virtual-8086 mode with IOPL < 3', () => {
    const vm = createTestVm();
    vm.load(CODE, [0x9c]);
    enterVm86(vm, CODE, 2);
    expect(runToFault(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE });
  });
});
