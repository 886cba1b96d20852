// Helpers for the system-instruction tests: catching a guest exception at the instruction
// that raised it (without delivering it, so protected-mode tests need no IDT), ring 3 and
// virtual-8086 set-ups, and GDT descriptors.
import { ExitSignal, GuestFault } from '../../core/cpu/faults.ts';
import { Cr4, Flag, Seg, SegAttr } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, ExitReason, type TestVm } from '../lib/machine.ts';

export interface CaughtFault {
  vector: number;
  errorCode: number | undefined;
  /** RIP of the faulting instruction. */
  rip: number;
}

/**
 * Runs blocks straight from the code cache (no KVM_RUN loop) until HLT or a guest exception:
 * {} on HLT, else the vector and the faulting instruction's offset from `codeBase`.
 */
export function runBlocks(vm: TestVm, codeBase: number): { vector?: number; at?: number } {
  const cpu = vm.vcpu.cpu;
  cpu.phys.refresh();
  for (let guard = 0; guard < 100; guard++) {
    try {
      cpu.lookup(false).run();
    } catch (e) {
      if (e instanceof GuestFault) return { vector: e.vector, at: cpu.state.getLo('rip') + Math.max(e.delta, 0) - codeBase };
      if (e instanceof ExitSignal && e.reason === ExitReason.HLT) return {};
      throw e;
    }
  }
  throw new Error('no HLT');
}

/**
 * Runs until the guest raises an exception and returns it, with RIP in the state left at the
 * faulting instruction. The exception is not delivered (the run exits with KVM_EXIT_EXCEPTION).
 */
export function runToFault(vm: TestVm): CaughtFault {
  const cpu = vm.vcpu.cpu;
  const s = cpu.state;
  const lookup = cpu.lookup.bind(cpu);
  let caught: CaughtFault | undefined;
  cpu.lookup = (single) => {
    const block = lookup(single);
    const run = (): void => {
      try {
        block.run();
      } catch (e) {
        if (!(e instanceof GuestFault)) throw e;
        const rip = e.delta >= 0 ? s.getNum('rip') + e.delta : s.getNum('rip');
        s.setNum('rip', rip);
        caught = { vector: e.vector, errorCode: e.errorCode, rip };
        throw new ExitSignal(ExitReason.EXCEPTION);
      }
    };
    return { ...block, run };
  };
  try {
    const r = vm.run();
    if (caught === undefined) throw new Error(`expected a guest exception, got exit ${r.reason}${r.detail ? ': ' + r.detail : ''}`);
    return caught;
  } finally {
    cpu.lookup = lookup;
  }
}

/** `mov [0x10000000], al`: a write to unbacked guest-physical memory, so KVM_EXIT_MMIO at any CPL. */
export const MMIO_EXIT = [0xa2, 0x00, 0x00, 0x00, 0x10];

/** After enterFlat32: CS, SS, DS, ES with DPL 3 and CPL 3 (no GDT; nothing reloads them). */
export function enterRing3(vm: TestVm): void {
  const cpu = vm.vcpu.cpu;
  const dpl3 = 3 << SegAttr.DPL_SHIFT;
  for (const seg of [Seg.ES, Seg.CS, Seg.SS, Seg.DS]) {
    const code = seg === Seg.CS;
    cpu.setSegment(seg, code ? 0x1b : 0x23, 0, 0xffffffff, SegAttr.P | SegAttr.S | SegAttr.DB | SegAttr.G | dpl3 | (code ? 0xb : 3));
  }
  cpu.state.setU32('cpl', 3);
  cpu.refreshMode();
}

/** Virtual-8086 mode (CR0.PE and EFLAGS.VM, CPL 3) with every segment base 0, at IP `ip`. */
export function enterVm86(vm: TestVm, ip: number, iopl: number): void {
  const cpu = vm.vcpu.cpu;
  const s = cpu.state;
  s.setLo('cr0', s.getLo('cr0') | 1);
  for (const seg of [Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS])
    cpu.setSegment(seg, 0, 0, 0xffff, SegAttr.P | SegAttr.S | (3 << SegAttr.DPL_SHIFT) | (seg === Seg.CS ? 0xb : 3));
  s.setLo('rflags', Flag.FIXED1 | Flag.VM | (iopl << 12));
  s.setU32('cpl', 3);
  s.setLo('rip', ip);
  vm.setReg(4, 0x7000);
  cpu.refreshMode();
}

/** A segment or system descriptor (SDM Vol. 3A Figure 3-8): `access` is byte 5, `flags` the G D/B L AVL nibble. */
export function descriptor(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = (limit & 0xffff) | ((base & 0xffff) << 16);
  const hi = ((base >>> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | (base & 0xff000000);
  return [lo >>> 0, hi >>> 0];
}

/** Writes descriptors at `gpa` (entry n at gpa + 8n) and points GDTR at them. */
export function installGdt(vm: TestVm, gpa: number, entries: [number, number][]): void {
  const view = new DataView(vm.ram.buffer, vm.ram.byteOffset);
  entries.forEach(([lo, hi], n) => {
    view.setUint32(gpa + 8 * n, lo, true);
    view.setUint32(gpa + 8 * n + 4, hi, true);
  });
  const s = vm.vcpu.cpu.state;
  s.setNum('gdtrBase', gpa);
  s.setU32('gdtrLimit', entries.length * 8 - 1);
}

export function readU32(vm: TestVm, gpa: number): number {
  return new DataView(vm.ram.buffer, vm.ram.byteOffset).getUint32(gpa, true);
}

export function writeU32(vm: TestVm, gpa: number, value: number): void {
  new DataView(vm.ram.buffer, vm.ram.byteOffset).setUint32(gpa, value >>> 0, true);
}

/** Real-mode IVT entry `vector` -> 0000:handler. */
export function setIvt(vm: TestVm, vector: number, handler: number): void {
  vm.ram[vector * 4] = handler & 0xff;
  vm.ram[vector * 4 + 1] = handler >> 8;
  vm.ram[vector * 4 + 2] = 0;
  vm.ram[vector * 4 + 3] = 0;
}

/** A flat 32-bit guest with `code` at `codeBase`, SSE enabled by CR4 (or not) and extra CR0 bits (EM, TS). */
export function sseVm(code: number[], cr4 = Cr4.OSFXSR | Cr4.OSXMMEXCPT, cr0Extra = 0, codeBase = 0x1000): TestVm {
  const vm = createTestVm();
  vm.load(codeBase, code);
  enterFlat32(vm, codeBase);
  const s = vm.vcpu.cpu.state;
  s.setLo('cr4', cr4);
  s.setLo('cr0', s.getLo('cr0') | cr0Extra);
  vm.vcpu.cpu.refreshMode();
  return vm;
}
