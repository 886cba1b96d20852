import { describe, expect, it } from 'vitest';
import { createTestVm, enterFlat32, enterRealMode, ExitReason } from '../lib/machine.ts';

describe('first light: translate, run, exit', () => {
  it('runs 16-bit real-mode code to HLT', () => {
    const vm = createTestVm();
    // mov ax, 0x1234; add ax, 0x0001; mov bx, ax; hlt
    vm.load(0x1000, [0xb8, 0x34, 0x12, 0x05, 0x01, 0x00, 0x89, 0xc3, 0xf4]);
    enterRealMode(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(0) & 0xffff).toBe(0x1235);
    expect(vm.reg(3) & 0xffff).toBe(0x1235);
    expect(vm.vcpu.cpu.state.getLo('rip')).toBe(0x1009);
  });

  it('loops in 32-bit code and computes flags for jcc', () => {
    const vm = createTestVm();
    // xor eax,eax; mov ecx,10; l: add eax,ecx; dec ecx; jnz l; push eax; pop ebx; hlt
    vm.load(0x2000, [0x31, 0xc0, 0xb9, 0x0a, 0, 0, 0, 0x01, 0xc8, 0x49, 0x75, 0xfb, 0x50, 0x5b, 0xf4]);
    enterFlat32(vm, 0x2000);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(0)).toBe(55);
    expect(vm.reg(3)).toBe(55);
    expect(vm.reg(1)).toBe(0);
  });
});
