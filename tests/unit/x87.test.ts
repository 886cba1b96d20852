// x87 system behaviour that the host fixtures (x87-fixtures.test.ts) cannot record from user
// mode: the power-up state, #NM under CR0.EM/TS/MP, #MF with CR0.NE, the real-mode
// environment layout and 64-bit mode. Expected values come from the SDM.
import { describe, expect, it } from 'vitest';
import { Cr0, Reg } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, enterRealMode, type TestVm } from '../lib/machine.ts';
import { longModeVm } from './long-mode-guest.ts';
import { runBlocks } from './system-lib.ts';


const u16 = (vm: TestVm, a: number): number => vm.ram[a] | (vm.ram[a + 1] << 8);
const NM = 7;
const MF = 16;
const CODE = 0x1000;

function flat(code: number[], cr0Set = 0, cr0Clear = 0): TestVm {
  const vm = createTestVm();
  vm.load(CODE, [...code, 0xf4]);
  enterFlat32(vm, CODE);
  const s = vm.vcpu.cpu.state;
  s.setLo('cr0', (s.getLo('cr0') | cr0Set) & ~cr0Clear);
  return vm;
}

describe('x87 state and exceptions', () => {
  it('powers up with CW 0040H, SW 0, TW 5555H (SDM Vol. 3A Table 10-1)', () => {
    const s = createTestVm().vcpu.cpu.state;
    expect(s.u16[s.addr('fpuCw') >>> 1]).toBe(0x0040);
    expect(s.u16[s.addr('fpuSw') >>> 1]).toBe(0);
    expect(s.u16[s.addr('fpuTw') >>> 1]).toBe(0x5555);
  });

  it('raises #NM under CR0.EM or CR0.TS, and for WAIT only with CR0.MP and TS (SDM Vol. 3A Table 2-2)', () => {
    const FLD1 = [0xd9, 0xe8];
    const WAIT = [0x9b];
    expect(runBlocks(flat(FLD1, Cr0.EM), CODE)).toEqual({ vector: NM, at: 0 });
    expect(runBlocks(flat(FLD1, Cr0.TS), CODE)).toEqual({ vector: NM, at: 0 });
    expect(runBlocks(flat(FLD1, Cr0.MP), CODE)).toEqual({});
    expect(runBlocks(flat(WAIT, Cr0.TS, Cr0.MP), CODE)).toEqual({});
    expect(runBlocks(flat(WAIT, Cr0.EM), CODE)).toEqual({});
    expect(runBlocks(flat(WAIT, Cr0.TS | Cr0.MP), CODE)).toEqual({ vector: NM, at: 0 });
  });

  // fninit; fldcw [0x3000] (037BH: ZE unmasked); fldz; fld1; fdiv st0, st1 (ZE pending);
  // fnstsw ax (no wait); fwait (#MF here with CR0.NE); fld1
  const DIVIDE_BY_ZERO = [0xdb, 0xe3, 0xd9, 0x2d, 0x00, 0x30, 0x00, 0x00, 0xd9, 0xee, 0xd9, 0xe8, 0xd8, 0xf1, 0xdf, 0xe0, 0x9b, 0xd9, 0xe8];
  const FWAIT_AT = 16;

  it('delivers an unmasked exception as #MF at the next waiting instruction with CR0.NE (SDM Vol. 1 8.7)', () => {
    const vm = flat(DIVIDE_BY_ZERO, Cr0.NE);
    vm.load(0x3000, [0x7b, 0x03]);
    expect(runBlocks(vm, CODE)).toEqual({ vector: MF, at: FWAIT_AT });
    // FNSTSW stored SW with ZE, ES and B set (Vol. 1 Figure 8-4), and did not fault.
    expect(vm.reg(Reg.RAX) & 0x8084).toBe(0x8084);
  });

  it('lets the waiting instruction run with CR0.NE = 0 (no FERR#/IRQ 13 line modelled)', () => {
    const vm = flat(DIVIDE_BY_ZERO, 0, Cr0.NE);
    vm.load(0x3000, [0x7b, 0x03]);
    expect(runBlocks(vm, CODE)).toEqual({});
  });

  it('stores the 16-bit real-mode environment with a 20-bit FIP and FOP (SDM Vol. 1 Figure 8-12)', () => {
    const vm = createTestVm();
    // At 0100:0010 (linear 01010H): fninit; fld1; fnstenv [0x2000]; hlt
    vm.load(0x1010, [0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0x36, 0x00, 0x20, 0xf4]);
    enterRealMode(vm, 0x10);
    const cpu = vm.vcpu.cpu;
    cpu.setSegment(1, 0x100, 0x1000, 0xffff, cpu.state.getU32('segAttr', 1));
    cpu.refreshMode();
    expect(runBlocks(vm, 0x10)).toEqual({});
    // CW 037FH, SW with TOP = 7, TW: R7 valid, others empty; FIP(15:0) = 1012H (FLD1);
    // FIP(19:16) << 12 | FOP, FOP = D9 E8 & 7FFH = 1E8H; then the operand pointer of the
    // last non-control instruction, which had none (FNINIT cleared it).
    const env = [0, 2, 4, 6, 8, 10, 12].map((k) => u16(vm, 0x2000 + k));
    expect(env).toEqual([0x037f, 0x3800, 0x3fff, 0x1012, 0x01e8, 0, 0]);
  });

  it('leaves an operand of 2^63 or more alone with C2 = 1 (SDM Vol. 2A FSIN)', () => {
    // fninit; fild qword [0x3000] (2^63 as an unsigned pattern = -2^63); fsin; fnstsw ax; fistp qword [0x3008]
    const vm = flat([0xdb, 0xe3, 0xdf, 0x2d, 0x00, 0x30, 0, 0, 0xd9, 0xfe, 0xdf, 0xe0, 0xdf, 0x3d, 0x08, 0x30, 0, 0]);
    vm.load(0x3000, [0, 0, 0, 0, 0, 0, 0, 0x80]);
    expect(runBlocks(vm, CODE)).toEqual({});
    expect(vm.reg(Reg.RAX) & 0x0400).toBe(0x0400);
    expect(Array.from(vm.ram.slice(0x3008, 0x3010))).toEqual([0, 0, 0, 0, 0, 0, 0, 0x80]);
  });

  it('runs in 64-bit mode: FNSAVE stores the 108-byte image at [RBX] (SDM Vol. 1 8.1.10)', () => {
    // fninit; fldpi; fnsave [rbx]; hlt
    const vm = longModeVm(0x8000);
    vm.load(0x8000, [0xdb, 0xe3, 0xd9, 0xeb, 0xdd, 0x33, 0xf4]);
    vm.setReg(Reg.RBX, 0x9000);
    expect(runBlocks(vm, 0x8000)).toEqual({});
    expect(u16(vm, 0x9000)).toBe(0x037f);
    expect(u16(vm, 0x9004)).toBe(0x3800);
    // ST(0) = pi rounded to nearest: C90FDAA2 2168C235H × 2^-62 (SDM Vol. 2A FLDPI and Vol. 1 8.3.8).
    expect(Array.from(vm.ram.slice(0x9000 + 28, 0x9000 + 38))).toEqual([0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40]);
    // FNSAVE reinitialized the FPU.
    const s = vm.vcpu.cpu.state;
    expect(s.u16[s.addr('fpuTw') >>> 1]).toBe(0xffff);
  });
});
