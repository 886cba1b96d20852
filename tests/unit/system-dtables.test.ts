// LGDT/LIDT/SGDT/SIDT, LLDT/SLDT, LTR/STR, LAR, LSL, VERR, VERW and ARPL on a GDT built here
// (SDM Vol. 2A/2B instruction pages; descriptor formats Vol. 3A 3.4.5 and 8.2.2).
import { describe, expect, it } from 'vitest';
import { Seg, SegAttr, Vector } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, enterRealMode, ExitReason, type TestVm } from '../lib/machine.ts';
import { descriptor, enterRing3, installGdt, MMIO_EXIT, runToFault, setIvt, writeU32 } from './system-lib.ts';

const CODE = 0x1000;
const GDT = 0x3000;
const SENTINEL = 0xdeadbeef;

// Selector -> descriptor. Access bytes: P DPL S type (SDM Vol. 3A Figure 3-8, Table 3-1, Table 3-2).
const ENTRIES: [number, number][] = [
  [0, 0], //                                     0x00 null
  descriptor(0, 0xfffff, 0x9a, 0xc), //          0x08 code, readable, DPL 0, 4 KiB granular
  descriptor(0, 0xfffff, 0x92, 0xc), //          0x10 data, writable, DPL 0
  descriptor(0, 0xffff, 0x9e, 0x4), //           0x18 code, conforming, readable, DPL 0
  descriptor(0, 0xfff, 0xf0, 0x0), //            0x20 data, read-only, DPL 3
  descriptor(0x5000, 0x17, 0x82, 0), //          0x28 LDT
  descriptor(0x6000, 0x67, 0x89, 0), //          0x30 available 32-bit TSS
  [0x00081234, 0x00008e00], //                   0x38 32-bit interrupt gate
  descriptor(0, 0xfffff, 0x98, 0xc), //          0x40 code, execute-only, DPL 0
  [0x00085678, 0x0000ec00], //                   0x48 32-bit call gate, DPL 3
  descriptor(0x7000, 0x2b, 0x81, 0), //          0x50 available 16-bit TSS
  descriptor(0x5000, 0x17, 0x02, 0), //          0x58 LDT, not present
];

function gdtVm(code: number[]): TestVm {
  const vm = createTestVm();
  vm.load(CODE, code);
  enterFlat32(vm, CODE);
  installGdt(vm, GDT, ENTRIES);
  writeU32(vm, 0x5000, 0x0000ffff); // LDT entry 0 (selector 0x04): data, writable, DPL 0
  writeU32(vm, 0x5004, 0x00009200);
  return vm;
}

/** Runs `op ebx` (plus SETZ CL) with EAX = SENTINEL and returns [EAX, ZF]. */
function probe(op: number[], selector: number, ring3 = false): [number, number] {
  const vm = gdtVm([...op, 0x0f, 0x94, 0xc1, ...(ring3 ? MMIO_EXIT : [0xf4])]); // op; setz cl; exit
  if (ring3) enterRing3(vm);
  vm.setReg(0, SENTINEL);
  vm.setReg(3, selector);
  vm.runExpect(ring3 ? ExitReason.MMIO : ExitReason.HLT);
  return [vm.reg(0), vm.reg(1) & 0xff];
}

const LAR = [0x0f, 0x02, 0xc3]; //  lar eax, ebx
const LSL = [0x0f, 0x03, 0xc3]; //  lsl eax, ebx
const VERR = [0x0f, 0x00, 0xe3]; // verr bx
const VERW = [0x0f, 0x00, 0xeb]; // verw bx

describe('LAR', () => {
  it.each([
    ['readable code', 0x08, 0x00cf9a00],
    ['data', 0x10, 0x00cf9200],
    ['conforming code, RPL 3 > DPL', 0x1b, 0x00409e00],
    ['available TSS', 0x30, 0x00008900],
    ['call gate', 0x48, 0x0000ec00],
  ])('loads the access rights of %s (%#x) and sets ZF', (_what, sel, rights) => {
    expect(probe(LAR, sel)).toEqual([rights, 1]);
  });

  it.each([
    ['a null selector', 0x00],
    ['RPL 3 above DPL 0', 0x0b],
    ['an interrupt gate', 0x38],
    ['a selector beyond the GDT limit', 0x60],
    ['an LDT selector while LDTR is null', 0x04],
  ])('clears ZF and leaves the destination for %s', (_what, sel) => {
    expect(probe(LAR, sel)).toEqual([SENTINEL, 0]);
  });

  it('checks DPL against CPL at ring 3', () => {
    expect(probe(LAR, 0x13, true)).toEqual([SENTINEL, 0]);
    expect(probe(LAR, 0x23, true)).toEqual([0x0000f000, 1]);
  });

  it('with a 16-bit operand size writes bits 15:0 only', () => {
    expect(probe([0x66, ...LAR], 0x08)).toEqual([0xdead9a00, 1]);
  });
});

describe('LSL', () => {
  it.each([
    ['4 KiB-granular code', 0x08, 0xffffffff],
    ['byte-granular data', 0x20, 0xfff],
    ['the LDT', 0x28, 0x17],
    ['a 32-bit TSS', 0x30, 0x67],
    ['a 16-bit TSS', 0x50, 0x2b],
  ])('loads the limit of %s', (_what, sel, limit) => {
    expect(probe(LSL, sel)).toEqual([limit, 1]);
  });

  it('rejects gates', () => {
    expect(probe(LSL, 0x48)).toEqual([SENTINEL, 0]);
    expect(probe(LSL, 0x38)).toEqual([SENTINEL, 0]);
  });

  it('with a 16-bit operand size writes bits 15:0 only', () => {
    expect(probe([0x66, ...LSL], 0x08)).toEqual([0xdeadffff, 1]);
  });
});

describe('VERR and VERW', () => {
  it.each([
    ['VERR', VERR, 0x08, 1], // readable code
    ['VERR', VERR, 0x40, 0], // execute-only code
    ['VERR', VERR, 0x1b, 1], // conforming: no privilege check
    ['VERR', VERR, 0x13, 0], // RPL 3 > DPL 0
    ['VERR', VERR, 0x20, 1], // read-only data
    ['VERR', VERR, 0x30, 0], // system descriptor
    ['VERR', VERR, 0x00, 0], // null
    ['VERW', VERW, 0x10, 1], // writable data
    ['VERW', VERW, 0x20, 0], // read-only data
    ['VERW', VERW, 0x08, 0], // code is never writable
  ])('%s %#x gives ZF = %d', (_name, op, sel, zf) => {
    expect(probe(op, sel)[1]).toBe(zf);
  });
});

describe('LLDT, SLDT, LTR, STR', () => {
  it('LLDT loads LDTR from the GDT; SLDT zero-extends into a 32-bit register', () => {
    const vm = gdtVm([
      0x66, 0xb8, 0x28, 0x00, // mov ax, 0x28
      0x0f, 0x00, 0xd0, //       lldt ax
      0x0f, 0x00, 0xc1, //       sldt ecx
      0x66, 0xbb, 0x04, 0x00, // mov bx, 4
      0x0f, 0x02, 0xc3, //       lar eax, ebx  (LDT entry 0)
      0xf4,
    ]);
    vm.setReg(1, 0xffffffff);
    vm.runExpect(ExitReason.HLT);
    const s = vm.vcpu.cpu.state;
    expect(vm.reg(1)).toBe(0x28);
    expect(s.getNum('segBase', Seg.LDTR)).toBe(0x5000);
    expect(s.getU32('segLimit', Seg.LDTR)).toBe(0x17);
    expect(vm.reg(0)).toBe(0x00009200);
  });

  it.each([
    ['a data segment', 0x10, Vector.GP, 0x10],
    ['a selector with TI = 1', 0x2c, Vector.GP, 0x2c],
    ['a selector beyond the GDT limit', 0x60, Vector.GP, 0x60],
    ['a not-present LDT', 0x58, Vector.NP, 0x58],
  ])('LLDT of %s faults with the selector as error code', (_what, sel, vector, code) => {
    const vm = gdtVm([0x0f, 0x00, 0xd3]); // lldt bx
    vm.setReg(3, sel);
    expect(runToFault(vm)).toMatchObject({ vector, errorCode: code, rip: CODE });
  });

  it('LTR loads TR and marks the TSS busy; STR reads the selector back', () => {
    const vm = gdtVm([0x66, 0xb8, 0x30, 0x00, 0x0f, 0x00, 0xd8, 0x0f, 0x00, 0xca, 0xf4]); // mov ax,0x30; ltr ax; str edx; hlt
    vm.runExpect(ExitReason.HLT);
    const s = vm.vcpu.cpu.state;
    expect(vm.reg(2)).toBe(0x30);
    expect(vm.ram[GDT + 0x35]).toBe(0x8b); // type 9 -> 11 (busy)
    expect(s.getNum('segBase', Seg.TR)).toBe(0x6000);
    expect(s.getU32('segLimit', Seg.TR)).toBe(0x67);
    expect(s.getU32('segAttr', Seg.TR) & SegAttr.TYPE_MASK).toBe(0xb);
  });

  it.each([
    ['a null selector', 0x00, Vector.GP, 0],
    ['an LDT descriptor', 0x28, Vector.GP, 0x28],
  ])('LTR of %s faults', (_what, sel, vector, code) => {
    const vm = gdtVm([0x0f, 0x00, 0xdb]); // ltr bx
    vm.setReg(3, sel);
    expect(runToFault(vm)).toMatchObject({ vector, errorCode: code, rip: CODE });
  });

  it('LTR of a busy TSS is #GP(selector)', () => {
    const vm = gdtVm([0x0f, 0x00, 0xdb, 0x0f, 0x00, 0xdb]); // ltr bx; ltr bx
    vm.setReg(3, 0x30);
    expect(runToFault(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0x30, rip: CODE + 3 });
  });

  it('LLDT and LTR are #GP(0) at CPL 3; all four are #UD in real mode', () => {
    const vm = gdtVm([0x0f, 0x00, 0xd3]);
    enterRing3(vm);
    expect(runToFault(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0 });
    for (const op of [[0x0f, 0x00, 0xd0], [0x0f, 0x00, 0xc0], [0x0f, 0x00, 0xd8], [0x0f, 0x00, 0xc8]]) {
      const real = createTestVm();
      real.load(CODE, op);
      real.load(0x2000, [0xf4]);
      setIvt(real, Vector.UD, 0x2000);
      enterRealMode(real, CODE);
      real.runExpect(ExitReason.HLT);
      expect(real.vcpu.cpu.state.getLo('rip')).toBe(0x2001);
    }
  });
});

describe('LGDT, LIDT, SGDT, SIDT', () => {
  const PSEUDO = 0x2f00;
  const OUT = 0x2e00;

  it('SGDT stores the limit and the 32-bit base; with a 16-bit operand size the sixth byte is 0', () => {
    const vm = gdtVm([
      0x0f, 0x01, 0x05, 0x00, 0x2e, 0x00, 0x00, //       sgdt [0x2e00]
      0x66, 0x0f, 0x01, 0x0d, 0x08, 0x2e, 0x00, 0x00, // o16 sidt [0x2e08]
      0xf4,
    ]);
    const s = vm.vcpu.cpu.state;
    s.setNum('gdtrBase', 0x12345678);
    s.setU32('gdtrLimit', 0x1234);
    s.setNum('idtrBase', 0x9abcdef0);
    s.setU32('idtrLimit', 0x07ff);
    vm.runExpect(ExitReason.HLT);
    expect([...vm.ram.subarray(OUT, OUT + 6)]).toEqual([0x34, 0x12, 0x78, 0x56, 0x34, 0x12]);
    expect([...vm.ram.subarray(OUT + 8, OUT + 14)]).toEqual([0xff, 0x07, 0xf0, 0xde, 0xbc, 0x00]);
  });

  it('LGDT loads a 32-bit base, or a 24-bit one with a 16-bit operand size', () => {
    const vm = gdtVm([
      0x0f, 0x01, 0x15, 0x00, 0x2f, 0x00, 0x00, //       lgdt [0x2f00]
      0x66, 0x0f, 0x01, 0x1d, 0x00, 0x2f, 0x00, 0x00, // o16 lidt [0x2f00]
      0xf4,
    ]);
    vm.load(PSEUDO, [0xff, 0x00, 0x78, 0x56, 0x34, 0x12]);
    vm.runExpect(ExitReason.HLT);
    const s = vm.vcpu.cpu.state;
    expect([s.getU32('gdtrLimit'), s.getNum('gdtrBase')]).toEqual([0xff, 0x12345678]);
    expect([s.getU32('idtrLimit'), s.getNum('idtrBase')]).toEqual([0xff, 0x345678]);
  });

  it('LIDT is #GP(0) at CPL 3, SGDT is allowed there', () => {
    const denied = gdtVm([0x0f, 0x01, 0x1d, 0x00, 0x2f, 0x00, 0x00]);
    enterRing3(denied);
    expect(runToFault(denied)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE });
    const vm = gdtVm([0x0f, 0x01, 0x05, 0x00, 0x2e, 0x00, 0x00, ...MMIO_EXIT]);
    enterRing3(vm);
    vm.runExpect(ExitReason.MMIO);
    expect([...vm.ram.subarray(OUT, OUT + 6)]).toEqual([0x5f, 0x00, 0x00, 0x30, 0x00, 0x00]);
  });
});

describe('ARPL', () => {
  it('raises the destination RPL to the source RPL and reports it in ZF', () => {
    const vm = gdtVm([
      0x63, 0xcb, //       arpl bx, cx    (RPL 0 < 3: adjust)
      0x0f, 0x94, 0xc0, // setz al
      0x63, 0x0e, //       arpl [esi], cx (RPL 1 < 3: adjust)
      0x0f, 0x94, 0xc4, // setz ah
      0x63, 0xd3, //       arpl bx, dx    (RPL 3 >= 1: no change)
      0x0f, 0x94, 0xc2, // setz dl
      0xf4,
    ]);
    vm.setReg(3, 0xaa10);
    vm.setReg(1, 3);
    vm.setReg(2, 1);
    vm.setReg(6, 0x500);
    vm.load(0x500, [0x21, 0x00]);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(3)).toBe(0xaa13);
    expect([vm.ram[0x500], vm.ram[0x501]]).toEqual([0x23, 0x00]);
    expect(vm.reg(0) & 0xffff).toBe(0x0101);
    expect(vm.reg(2) & 0xff).toBe(0);
  });
});
