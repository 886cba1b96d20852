// A protected-mode guest for the protection tests: a GDT, an IDT and TSSs built in guest
// memory with the descriptor layouts of SDM Vol. 3A Figures 3-8, 5-8, 6-2 and 7-2, plus
// ring-0 handlers that stop at HLT so a test can look at what the CPU pushed.
import { createTestVm, enterFlat32, type TestVm } from '../lib/machine.ts';
import { Flag, Seg, SegAttr } from '../../core/cpu/registers.ts';

export const GDT = 0x1000;
export const IDT = 0x2000;
export const TSS_A = 0x3000;
export const TSS_B = 0x3100;
export const KCODE = 0x08;
export const KDATA = 0x10;
export const UCODE = 0x1b; // GDT index 3, RPL 3
export const UDATA = 0x23; // GDT index 4, RPL 3
export const TSS_A_SEL = 0x28;
export const CALL_GATE_SEL = 0x33; // GDT index 6, RPL 3
export const ABSENT_DATA_SEL = 0x38;
export const TSS_B_SEL = 0x40;
export const DATA16_SEL = 0x48; // 16-bit (B = 0) data segment, limit 0xffff
export const RING0_STACK = 0x9000; // ESP0 in TSS A
export const RING3_STACK = 0xa000;

// Ring-0 code of the handlers (NASM source in the comments).
export const HANDLER80 = 0x5000; // hlt; iret
export const HANDLER81 = 0x5100; // hlt
export const GP_HANDLER = 0x5200; // hlt
export const NP_HANDLER = 0x5300; // hlt (#NP and #SS)
export const GATE_TARGET = 0x5400; // hlt; retf 8
export const TASK_B_CODE = 0x5500; // mov eax, 0xb0b0b0b0; hlt; iret

/** Code/data segment descriptor (SDM Vol. 3A Figure 3-8): flags = G D/B L AVL. */
export function segment(base: number, limit: number, access: number, flags = 0xc): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | (access << 8) | ((base >>> 16) & 0xff);
  return [lo >>> 0, hi >>> 0];
}

/** Gate descriptor (SDM Vol. 3A Figures 5-8 and 6-2). */
export function gate(sel: number, offset: number, type: number, dpl: number, params = 0): [number, number] {
  const lo = (sel << 16) | (offset & 0xffff);
  const hi = (offset & 0xffff0000) | 0x8000 | (dpl << 13) | (type << 8) | params;
  return [lo >>> 0, hi >>> 0];
}

export const u32 = (vm: TestVm, a: number): number => (vm.ram[a] | (vm.ram[a + 1] << 8) | (vm.ram[a + 2] << 16) | (vm.ram[a + 3] << 24)) >>> 0;
export const u16 = (vm: TestVm, a: number): number => vm.ram[a] | (vm.ram[a + 1] << 8);
export const put32 = (vm: TestVm, a: number, v: number): void => vm.load(a, [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
export const putDesc = (vm: TestVm, a: number, [lo, hi]: [number, number]): void => {
  put32(vm, a, lo);
  put32(vm, a + 4, hi);
};
export const sel = (vm: TestVm, seg: Seg): number => vm.vcpu.cpu.state.getU32('segSel', seg);
export const esp = (vm: TestVm): number => vm.reg(4);
export const stackDwords = (vm: TestVm, n: number): number[] => Array.from({ length: n }, (_, i) => u32(vm, esp(vm) + 4 * i));
/** Type field of the descriptor at `selector` in the GDT. */
export const gdtType = (vm: TestVm, selector: number): number => vm.ram[GDT + (selector & ~7) + 5] & 0xf;

/** Flat protected mode at CPL 0 with a GDT, an IDT and a 32-bit TSS (TR) built in guest memory. */
export function protectedVm(eip: number): TestVm {
  const vm = createTestVm();
  putDesc(vm, GDT + 0x08, segment(0, 0xfffff, 0x9a));
  putDesc(vm, GDT + 0x10, segment(0, 0xfffff, 0x92));
  putDesc(vm, GDT + 0x18, segment(0, 0xfffff, 0xfa));
  putDesc(vm, GDT + 0x20, segment(0, 0xfffff, 0xf2));
  putDesc(vm, GDT + 0x28, segment(TSS_A, 0x67, 0x8b, 0)); // busy 32-bit TSS: the current task
  putDesc(vm, GDT + 0x30, gate(KCODE, GATE_TARGET, 0xc, 3, 2)); // 32-bit call gate, DPL 3, 2 parameters
  putDesc(vm, GDT + 0x38, segment(0, 0xfffff, 0x12)); // data, not present
  putDesc(vm, GDT + 0x40, segment(TSS_B, 0x67, 0x89, 0)); // available 32-bit TSS
  putDesc(vm, GDT + 0x48, segment(0, 0xffff, 0x92, 0));
  putDesc(vm, IDT + 13 * 8, gate(KCODE, GP_HANDLER, 0xe, 0));
  putDesc(vm, IDT + 12 * 8, gate(KCODE, NP_HANDLER, 0xe, 0));
  putDesc(vm, IDT + 11 * 8, gate(KCODE, NP_HANDLER, 0xe, 0));
  putDesc(vm, IDT + 4 * 8, gate(KCODE, HANDLER81, 0xf, 3)); // #OF: 32-bit trap gate
  putDesc(vm, IDT + 0x80 * 8, gate(KCODE, HANDLER80, 0xe, 3));
  putDesc(vm, IDT + 0x81 * 8, gate(KCODE, HANDLER81, 0xe, 3));
  putDesc(vm, IDT + 0x82 * 8, gate(KCODE, HANDLER81, 0xe, 0));
  putDesc(vm, IDT + 0x83 * 8, gate(KCODE, HANDLER81, 0x6, 0)); // 16-bit interrupt gate
  put32(vm, TSS_A + 4, RING0_STACK);
  put32(vm, TSS_A + 8, KDATA);
  vm.load(HANDLER80, [0xf4, 0xcf]);
  vm.load(HANDLER81, [0xf4]);
  vm.load(GP_HANDLER, [0xf4]);
  vm.load(NP_HANDLER, [0xf4]);
  vm.load(GATE_TARGET, [0xf4, 0xca, 0x08, 0x00]);
  enterFlat32(vm, eip, 0x8000);
  const cpu = vm.vcpu.cpu;
  const s = cpu.state;
  s.setNum('gdtrBase', GDT);
  s.setU32('gdtrLimit', 0x4f + 8);
  s.setNum('idtrBase', IDT);
  s.setU32('idtrLimit', 0x7ff);
  cpu.setSegment(Seg.TR, TSS_A_SEL, TSS_A, 0x67, SegAttr.P | 0xb);
  cpu.setSegment(Seg.LDTR, 0, 0, 0, SegAttr.UNUSABLE);
  s.setLo('rflags', Flag.FIXED1 | Flag.IF);
  return vm;
}

export const USER_CODE_ATTR = SegAttr.P | SegAttr.S | (3 << SegAttr.DPL_SHIFT) | 0xb | SegAttr.DB | SegAttr.G;
export const USER_DATA_ATTR = SegAttr.P | SegAttr.S | (3 << SegAttr.DPL_SHIFT) | 0x3 | SegAttr.DB | SegAttr.G;

export function enterRing3(vm: TestVm, eip: number): void {
  const cpu = vm.vcpu.cpu;
  cpu.setSegment(Seg.CS, UCODE, 0, 0xffffffff, USER_CODE_ATTR);
  for (const seg of [Seg.SS, Seg.DS, Seg.ES, Seg.FS, Seg.GS]) cpu.setSegment(seg, UDATA, 0, 0xffffffff, USER_DATA_ATTR);
  cpu.state.setU32('cpl', 3);
  cpu.state.setLo('rip', eip);
  vm.setReg(4, RING3_STACK);
  cpu.refreshMode();
}

export const rip = (vm: TestVm): number => vm.vcpu.cpu.state.getLo('rip');
export const cpl = (vm: TestVm): number => vm.vcpu.cpu.state.getU32('cpl');
