// An IA-32e mode guest for the long-mode and system-call tests: a GDT laid out as Linux's
// (arch/x86/include/asm/segment.h: kernel CS/SS where STAR[47:32] points, user 32-bit CS,
// data and 64-bit CS where SYSRET expects them from STAR[63:48]), a 64-bit TSS and a 64-bit
// IDT, with the layouts of SDM Vol. 3A Figures 3-8, 5-9 (64-bit call gate), 6-8 (64-bit IDT
// gate) and 8-11 (64-bit TSS). Paging stays off: EFER.LMA is set in the state directly, as
// tests/unit/integer-cases.ts run64 does, so these tests do not depend on the page walker.
import { createTestVm, type TestVm } from '../lib/machine.ts';
import { decodeSegmentDescriptor } from '../../core/cpu/descriptor.ts';
import { Cr0, Efer, Flag, Reg, Seg, SegAttr } from '../../core/cpu/registers.ts';
import { gate, put32, putDesc, segment } from './protection-guest.ts';

export const GDT = 0x1000;
export const IDT = 0x2000;
export const TSS = 0x3000;
export const KCODE32 = 0x08;
export const KCODE = 0x10;
export const KDATA = 0x18;
export const UCODE32 = 0x23;
export const UDATA = 0x2b;
export const UCODE = 0x33;
export const TSS_SEL = 0x40; // 16 bytes: GDT slots 8 and 9
export const CALL_GATE = 0x53; // 16 bytes: slots 10 and 11, RPL 3
/** STAR as Linux writes it: SYSCALL CS = 0x10, SS = 0x18; SYSRET SS = 0x2b, CS = 0x33 (or 0x23). */
export const STAR = (BigInt(UCODE32) << 48n) | (BigInt(KCODE) << 32n);
export const KSTACK = 0x8000;
export const USTACK = 0x20000;
export const RSP0 = 0x9000;

/** Descriptor access bytes (SDM Vol. 3A Figure 3-8) and the G D/B L AVL nibble. */
const CODE_DPL0 = 0x9a;
const DATA_DPL0 = 0x92;
const CODE_DPL3 = 0xfa;
const DATA_DPL3 = 0xf2;
const TSS64_BUSY = 0x8b;
const G_D = 0xc;
const G_L = 0xa;
const GATE64_CALL = 0xc;
export const GATE64_INTERRUPT = 0xe;
export const GATE64_TRAP = 0xf;

export const put64 = (vm: TestVm, a: number, v: bigint): void => {
  put32(vm, a, Number(v & 0xffffffffn));
  put32(vm, a + 4, Number((v >> 32n) & 0xffffffffn));
};
export const u64 = (vm: TestVm, a: number): bigint => new DataView(vm.ram.buffer, vm.ram.byteOffset).getBigUint64(a, true);
/** `n` quadwords from RSP upwards. */
export const stackQwords = (vm: TestVm, n: number): bigint[] =>
  Array.from({ length: n }, (_, i) => u64(vm, vm.vcpu.cpu.state.getLo('gpr', Reg.RSP) + 8 * i));

/** A 64-bit IDT gate (SDM Vol. 3A Figure 6-8): IST in bits 2:0 of the second dword. */
export function idtGate(vm: TestVm, vector: number, offset: number, type: number, dpl: number, ist = 0, sel = KCODE): void {
  const [lo, hi] = gate(sel, offset, type, dpl);
  putDesc(vm, IDT + vector * 16, [lo, (hi | ist) >>> 0]);
  putDesc(vm, IDT + vector * 16 + 8, [0, 0]);
}

/** A 64-bit call gate in GDT slots `sel` and the next (SDM Vol. 3A Figure 5-9). */
export function callGate64(vm: TestVm, sel: number, target: number, dpl: number): void {
  putDesc(vm, GDT + (sel & ~7), gate(KCODE, target, GATE64_CALL, dpl));
  putDesc(vm, GDT + (sel & ~7) + 8, [0, 0]);
}

/** Loads a segment register from its GDT descriptor, as a successful load leaves it. */
export function loadSegment(vm: TestVm, seg: Seg, sel: number): void {
  const view = new DataView(vm.ram.buffer, vm.ram.byteOffset);
  const at = GDT + (sel & ~7);
  const d = decodeSegmentDescriptor(view.getUint32(at, true), view.getUint32(at + 4, true));
  vm.vcpu.cpu.setSegment(seg, sel, d.base, d.limit, d.attr | SegAttr.ACCESSED);
}

/** 64-bit mode at CPL 0, RIP = `rip`, RSP = KSTACK, EFER.SCE set, DS ES FS GS null. */
export function longModeVm(rip: number): TestVm {
  const vm = createTestVm();
  putDesc(vm, GDT + KCODE32, segment(0, 0xfffff, CODE_DPL0, G_D));
  putDesc(vm, GDT + KCODE, segment(0, 0xfffff, CODE_DPL0, G_L));
  putDesc(vm, GDT + KDATA, segment(0, 0xfffff, DATA_DPL0, G_D));
  putDesc(vm, GDT + (UCODE32 & ~7), segment(0, 0xfffff, CODE_DPL3, G_D));
  putDesc(vm, GDT + (UDATA & ~7), segment(0, 0xfffff, DATA_DPL3, G_D));
  putDesc(vm, GDT + (UCODE & ~7), segment(0, 0xfffff, CODE_DPL3, G_L));
  putDesc(vm, GDT + TSS_SEL, segment(TSS, 0x67, TSS64_BUSY, 0));
  putDesc(vm, GDT + TSS_SEL + 8, [0, 0]);
  put64(vm, TSS + 4, BigInt(RSP0));
  const cpu = vm.vcpu.cpu;
  const s = cpu.state;
  s.setNum('gdtrBase', GDT);
  s.setU32('gdtrLimit', 12 * 8 - 1);
  s.setNum('idtrBase', IDT);
  s.setU32('idtrLimit', 256 * 16 - 1);
  s.setLo('cr0', Cr0.PE | Cr0.ET);
  s.setLo('efer', Efer.SCE | Efer.LME | Efer.LMA);
  loadSegment(vm, Seg.CS, KCODE);
  loadSegment(vm, Seg.SS, KDATA);
  for (const seg of [Seg.DS, Seg.ES, Seg.FS, Seg.GS]) cpu.setSegment(seg, 0, 0, 0, SegAttr.UNUSABLE);
  cpu.setSegment(Seg.TR, TSS_SEL, TSS, 0x67, SegAttr.P | 0xb);
  cpu.setSegment(Seg.LDTR, 0, 0, 0, SegAttr.UNUSABLE);
  s.setU32('cpl', 0);
  s.setLo('rflags', Flag.FIXED1);
  s.setLo('rip', rip);
  vm.setReg(Reg.RSP, KSTACK);
  cpu.refreshMode();
  return vm;
}

/**
 * Ring 3 in 64-bit mode (or compatibility mode with `cs` = UCODE32) at `rip`, RSP = USTACK;
 * DS and ES hold the user data segment, which compatibility mode needs.
 */
export function enterUser(vm: TestVm, rip: number, cs = UCODE): void {
  const cpu = vm.vcpu.cpu;
  loadSegment(vm, Seg.CS, cs);
  for (const seg of [Seg.SS, Seg.DS, Seg.ES]) loadSegment(vm, seg, UDATA);
  cpu.state.setU32('cpl', 3);
  cpu.state.setLo('rip', rip);
  vm.setReg(Reg.RSP, USTACK);
  cpu.refreshMode();
}

/** `mov eax, 0x10000000; mov [rax], al`: a write to unbacked memory, so KVM_EXIT_MMIO at any CPL. */
export const MMIO_EXIT64 = [0xb8, 0x00, 0x00, 0x00, 0x10, 0x88, 0x00];
/** `mov [0x10000000], al` in 32-bit code. */
export const MMIO_EXIT32 = [0xa2, 0x00, 0x00, 0x00, 0x10];

export const sel = (vm: TestVm, seg: Seg): number => vm.vcpu.cpu.state.getU32('segSel', seg);
export const rip = (vm: TestVm): bigint => vm.vcpu.cpu.state.get64('rip');
export const rsp = (vm: TestVm): bigint => vm.vcpu.cpu.state.get64('gpr', Reg.RSP);
export const cpl = (vm: TestVm): number => vm.vcpu.cpu.state.getU32('cpl');
export const codeSize = (vm: TestVm): number => vm.vcpu.cpu.codeSize();
