// ENTER against the SDM Vol. 2A pseudo-code worked by hand (the 32-bit cases agree with this
// host CPU: gcc -m32, ENTER on a private stack).
import { describe, expect, it } from 'vitest';
import { Reg, Vector } from '../../core/cpu/registers.ts';
import {
  createTestVm,
  enterFlat32,
  enterRealMode,
  ExitReason,
  type TestVm,
} from '../../tests/lib/machine.ts';

const CODE = 0x1000;
const S = 0x8000; // ESP before ENTER
const B = 0x9000; // EBP before ENTER

const dword = (vm: TestVm, at: number): number =>
  new DataView(vm.ram.buffer, vm.ram.byteOffset).getUint32(at, true);
const word = (vm: TestVm, at: number): number => vm.ram[at] | (vm.ram[at + 1] << 8);

function run32(code: number[]): TestVm {
  const vm = createTestVm();
  vm.load(CODE, [...code, 0xf4]);
  vm.load(B - 4, [0x11, 0x11, 0x11, 0x11]);
  enterFlat32(vm, CODE, S);
  vm.setReg(Reg.RBP, B);
  vm.runExpect(ExitReason.HLT);
  return vm;
}

describe('ENTER', () => {
  it('nesting level 2: pushes EBP, one enclosing frame pointer and the new frame pointer', () => {
    // push EBP -> [S-4] = B, FrameTemp = S-4; EBP' = B-4, push [B-4] -> [S-8];
    // push FrameTemp -> [S-12] = S-4; EBP = S-4; ESP = S-12 - 0x10.
    const vm = run32([0xc8, 0x10, 0x00, 0x02]); // enter 0x10, 2
    expect([vm.reg(Reg.RSP), vm.reg(Reg.RBP)]).toEqual([S - 28, S - 4]);
    expect([dword(vm, S - 4), dword(vm, S - 8), dword(vm, S - 12)]).toEqual([B, 0x11111111, S - 4]);
  });

  it('nesting level 0 pushes only EBP; the level is taken modulo 32 (33 acts as 1)', () => {
    const zero = run32([0xc8, 0x08, 0x00, 0x00]); // enter 8, 0
    expect([zero.reg(Reg.RSP), zero.reg(Reg.RBP), dword(zero, S - 4)]).toEqual([S - 12, S - 4, B]);
    const one = run32([0xc8, 0x08, 0x00, 0x21]); // enter 8, 33
    expect([one.reg(Reg.RSP), one.reg(Reg.RBP), dword(one, S - 8)]).toEqual([S - 16, S - 4, S - 4]);
  });

  it('16-bit: words on a 16-bit stack; only SP and BP change', () => {
    const vm = createTestVm();
    vm.load(CODE, [0xc8, 0x04, 0x00, 0x01, 0xf4]); // enter 4, 1
    enterRealMode(vm, CODE);
    vm.setReg(Reg.RSP, 0x1234_7000);
    vm.setReg(Reg.RBP, 0xabcd_6000);
    vm.runExpect(ExitReason.HLT);
    expect([vm.reg(Reg.RSP), vm.reg(Reg.RBP)]).toEqual([0x1234_6ff8, 0xabcd_6ffe]);
    expect([word(vm, 0x6ffe), word(vm, 0x6ffc)]).toEqual([0x6000, 0x6ffe]);
  });

  it('a fault reading an enclosing frame pointer leaves SP and BP unchanged (#SS at the limit)', () => {
    const vm = createTestVm();
    vm.load(CODE, [0xc8, 0x00, 0x00, 0x02, 0xf4]); // enter 0, 2
    vm.load(Vector.SS * 4, [0x00, 0x05, 0x00, 0x00]); // IVT[12] = 0000:0500
    vm.load(0x0500, [0xf4]);
    enterRealMode(vm, CODE);
    vm.setReg(Reg.RBP, 0x0001); // BP - 2 wraps to 0xffff: the word there crosses the 64 KiB limit
    vm.runExpect(ExitReason.HLT);
    expect(vm.vcpu.cpu.state.getLo('rip')).toBe(0x0501);
    expect(vm.reg(Reg.RBP)).toBe(0x0001);
    // The #SS frame (FLAGS, CS, IP) sits right below the unchanged SP, IP = the ENTER.
    expect(vm.reg(Reg.RSP)).toBe(0x7000 - 6);
    expect(word(vm, 0x7000 - 6)).toBe(CODE);
  });
});
