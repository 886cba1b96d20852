// Exception order on the x87 fast path (jit/emit/x87-fast.ts): the fast forms read their
// memory operand in the block before the x87 runtime runs, so the block must first leave
// #NM (CR0.TS/EM: a decode-time fault, SDM Vol. 3A 6.9 Table 6-2) and a pending unmasked
// exception (#MF, Vol. 1 8.7) to the cold path: neither may turn into the #PF of the operand.
// The cold path itself checks the operand's segment limit in generated code, after the same
// two checks.
import { describe, expect, it } from 'vitest';
import { Cr0, Seg } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, type TestVm } from '../lib/machine.ts';
import { runBlocks } from './system-lib.ts';

const CODE = 0x1000;
const NM = 7;
const GP = 13;
const PF = 14;
const MF = 16;

const run = (vm: TestVm): { vector?: number; at?: number } => runBlocks(vm, CODE);

const le32 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];

/**
 * 32-bit paging (SDM Vol. 3A 4.3): the page directory at 0x10000 maps the first 4 MiB
 * identically; linear 0x400000 (PDE 1) is not present. `x87` runs after paging is on, with
 * `cr0Or` also set in CR0.
 */
function pagedVm(x87: number[], cr0Or: number): { vm: TestVm; at: number } {
  const vm = createTestVm();
  vm.load(0x10000, le32(0x11000 | 3));
  for (let i = 0; i < 1024; i++) vm.load(0x11000 + 4 * i, le32((i << 12) | 3));
  const enable = [
    0xb8, ...le32(0x10000), //          mov eax, 0x10000
    0x0f, 0x22, 0xd8, //                mov cr3, eax
    0x0f, 0x20, 0xc0, //                mov eax, cr0
    0x0d, ...le32((Cr0.PG | cr0Or) >>> 0), // or eax, PG | cr0Or
    0x0f, 0x22, 0xc0, //                mov cr0, eax
  ];
  vm.load(CODE, [...enable, ...x87, 0xf4]);
  enterFlat32(vm, CODE);
  return { vm, at: enable.length };
}

/** fld qword [0x400000] (a fast form: FLD m64), fmul qword [0x400000], fild dword [0x400000]. */
const FLD_M64 = [0xdd, 0x05, ...le32(0x400000)];
const FMUL_M64 = [0xdc, 0x0d, ...le32(0x400000)];
const FILD_M32 = [0xdb, 0x05, ...le32(0x400000)];

describe('x87 fast path: #NM and #MF before the memory operand', () => {
  it('faults #PF on the unmapped operand when nothing else is pending', () => {
    // fninit; fld qword [0x400000]
    const { vm, at } = pagedVm([0xdb, 0xe3, ...FLD_M64], 0);
    expect(run(vm)).toEqual({ vector: PF, at: at + 2 });
  });

  it.each([
    ['FLD m64', FLD_M64],
    ['FMUL m64', FMUL_M64],
    ['FILD m32', FILD_M32],
  ])('raises #NM, not #PF, for %s with CR0.TS = 1', (_, insn) => {
    const { vm, at } = pagedVm(insn, Cr0.TS);
    expect(run(vm)).toEqual({ vector: NM, at });
  });

  it('raises #MF, not #PF, with an unmasked exception pending and CR0.NE = 1', () => {
    // fninit; fldcw [0x3000] (037BH: ZE unmasked); fldz; fld1; fdiv st0, st1 (ZE pending); fld qword [0x400000]
    const { vm, at } = pagedVm([0xdb, 0xe3, 0xd9, 0x2d, ...le32(0x3000), 0xd9, 0xee, 0xd9, 0xe8, 0xd8, 0xf1, ...FLD_M64], Cr0.NE);
    vm.load(0x3000, [0x7b, 0x03]);
    expect(run(vm)).toEqual({ vector: MF, at: at + 14 });
  });
});

describe('x87 cold path: #NM and #MF before the segment-limit check of the operand', () => {
  /** Flat 32-bit code with DS limited to 64 KiB and `cr0Or` set in CR0. */
  function limitedVm(code: number[], cr0Or: number): TestVm {
    const vm = createTestVm();
    vm.load(CODE, [...code, 0xf4]);
    enterFlat32(vm, CODE);
    const cpu = vm.vcpu.cpu;
    const s = cpu.state;
    cpu.setSegment(Seg.DS, s.getLo('segSel', Seg.DS), 0, 0xffff, s.getU32('segAttr', Seg.DS));
    s.setLo('cr0', s.getLo('cr0') | cr0Or);
    cpu.refreshMode();
    return vm;
  }
  /** fld tword [0x20000]: beyond the DS limit; FLD m80 has no fast path. */
  const FLD_M80 = [0xdb, 0x2d, ...le32(0x20000)];
  // fninit; fldcw [0x3000] (037BH: ZE unmasked); fldz; fld1; fdiv st0, st1 (ZE pending)
  const PENDING = [0xdb, 0xe3, 0xd9, 0x2d, ...le32(0x3000), 0xd9, 0xee, 0xd9, 0xe8, 0xd8, 0xf1];

  it('raises #GP(0) beyond the limit when nothing else is pending', () => {
    expect(run(limitedVm(FLD_M80, 0))).toEqual({ vector: GP, at: 0 });
  });

  it('raises #NM first with CR0.TS = 1', () => {
    expect(run(limitedVm(FLD_M80, Cr0.TS))).toEqual({ vector: NM, at: 0 });
  });

  it('raises #MF first for a waiting instruction, #GP for FNSTENV (non-waiting)', () => {
    const waiting = limitedVm([...PENDING, ...FLD_M80], Cr0.NE);
    waiting.load(0x3000, [0x7b, 0x03]);
    expect(run(waiting)).toEqual({ vector: MF, at: PENDING.length });
    // fnstenv [0x20000]
    const control = limitedVm([...PENDING, 0xd9, 0x35, ...le32(0x20000)], Cr0.NE);
    control.load(0x3000, [0x7b, 0x03]);
    expect(run(control)).toEqual({ vector: GP, at: PENDING.length });
  });
});
