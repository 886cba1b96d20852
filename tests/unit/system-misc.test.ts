// UD2, UD1, BOUND, HLT, INVD and WBINVD against the SDM (Vol. 2A BOUND, HLT, INVD, WBINVD;
// Vol. 2B UD).
import { describe, expect, it } from 'vitest';
import { Vector } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, enterRealMode, ExitReason, type TestVm } from '../lib/machine.ts';
import { enterRing3, runToFault, setIvt } from './system-lib.ts';

const CODE = 0x1000;

function flat32(code: number[]): TestVm {
  const vm = createTestVm();
  vm.load(CODE, code);
  enterFlat32(vm, CODE);
  return vm;
}

describe('UD2 and UD1', () => {
  it('UD2 raises #UD, delivered through the real-mode IVT with the IP of UD2', () => {
    const vm = createTestVm();
    vm.load(CODE, [0x90, 0x0f, 0x0b]); // nop; ud2
    vm.load(0x2000, [0xf4]);
    setIvt(vm, Vector.UD, 0x2000);
    enterRealMode(vm, CODE);
    vm.runExpect(ExitReason.HLT);
    expect(vm.vcpu.cpu.state.getLo('rip')).toBe(0x2001);
    expect(vm.ram[0x6ffa] | (vm.ram[0x6ffb] << 8)).toBe(CODE + 1);
  });

  it('UD1 r, r/m raises #UD', () => {
    expect(runToFault(flat32([0x0f, 0xb9, 0xc0]))).toMatchObject({ vector: Vector.UD, rip: CODE });
  });
});

describe('BOUND', () => {
  it('raises #BR (a fault) only when the signed index is outside [lower, upper]', () => {
    const vm = createTestVm();
    vm.load(CODE, [
      0xb8, 0xfd, 0xff, //       mov ax, -3
      0x62, 0x06, 0x00, 0x05, // bound ax, [0x500]   (in range)
      0xb8, 0x06, 0x00, //       mov ax, 6
      0x62, 0x06, 0x00, 0x05, // bound ax, [0x500]   (0x100a: above the upper bound)
      0xf4,
    ]);
    vm.load(0x500, [0xfb, 0xff, 0x05, 0x00]); // lower -5, upper 5
    vm.load(0x2000, [0xf4]);
    setIvt(vm, Vector.BR, 0x2000);
    enterRealMode(vm, CODE);
    vm.runExpect(ExitReason.HLT);
    expect(vm.vcpu.cpu.state.getLo('rip')).toBe(0x2001);
    expect(vm.ram[0x6ffa] | (vm.ram[0x6ffb] << 8)).toBe(0x100a);
  });

  it.each([
    [0xfffffffb, false], // -5: the lower bound itself
    [0xfffffffa, true], //  -6
    [5, false],
    [0x80000000, true], //  most negative
  ])('32-bit index %#x with bounds [-5, 5]: #BR %s', (index, faults) => {
    const vm = flat32([0x62, 0x05, 0x00, 0x05, 0x00, 0x00, 0xf4]); // bound eax, [0x500]; hlt
    vm.load(0x500, [0xfb, 0xff, 0xff, 0xff, 0x05, 0x00, 0x00, 0x00]);
    vm.setReg(0, index);
    if (faults) expect(runToFault(vm)).toMatchObject({ vector: Vector.BR, rip: CODE });
    else vm.runExpect(ExitReason.HLT);
  });
});

describe('privileged: HLT, INVD, WBINVD', () => {
  it('run at CPL 0', () => {
    const vm = flat32([0x0f, 0x08, 0x0f, 0x09, 0xf4]); // invd; wbinvd; hlt
    vm.runExpect(ExitReason.HLT);
    expect(vm.vcpu.cpu.state.getLo('rip')).toBe(CODE + 5);
  });

  it.each([
    ['HLT', [0xf4]],
    ['INVD', [0x0f, 0x08]],
    ['WBINVD', [0x0f, 0x09]],
  ])('%s is #GP(0) at CPL 3', (_name, code) => {
    const vm = flat32(code);
    enterRing3(vm);
    expect(runToFault(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE });
  });
});
