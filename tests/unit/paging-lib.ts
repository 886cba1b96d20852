// Helpers for the paging and long-mode tests: page tables written into guest RAM, direct
// translations through the Mmu, faults caught with their CR2, and CPUID tables that add the
// features a test needs (leaf 7 for SMEP/SMAP, LM for IA-32e mode).
import { cpuidHas, CpuidReg, type CpuidFeature } from '../../core/cpu/cpuid.ts';
import { ExitSignal, GuestFault } from '../../core/cpu/faults.ts';
import { TLB_ENTRIES } from '../../core/cpu/layout.ts';
import { Access } from '../../core/cpu/mmu.ts';
import { Cr0, Cr4, Efer, Seg, SegAttr } from '../../core/cpu/registers.ts';
import { createTestVm, ExitReason, type TestVm } from '../lib/machine.ts';

export { Access };

/** A test VM with 64-bit little-endian accessors on guest-physical RAM. */
export interface PagingVm extends TestVm {
  put32(gpa: number, v: number): void;
  get32(gpa: number): number;
  /** Writes a 64-bit entry given as a number below 2^53 plus, optionally, bits 63:53 in `hiBits` (high-half bits). */
  put64(gpa: number, v: number, hiBits?: number): void;
  get64lo(gpa: number): number;
}

export function pagingVm(ramBytes = 8 << 20): PagingVm {
  const vm = createTestVm(ramBytes);
  vm.vcpu.cpu.phys.refresh();
  const dv = new DataView(vm.ram.buffer, vm.ram.byteOffset);
  return Object.assign(vm, {
    put32: (gpa: number, v: number) => dv.setUint32(gpa, v >>> 0, true),
    get32: (gpa: number) => dv.getUint32(gpa, true),
    put64: (gpa: number, v: number, hiBits = 0) => {
      dv.setUint32(gpa, v % 0x1_0000_0000 >>> 0, true);
      dv.setUint32(gpa + 4, (Math.floor(v / 0x1_0000_0000) | hiBits) >>> 0, true);
    },
    get64lo: (gpa: number) => dv.getUint32(gpa, true),
  });
}

/** Bit 63 (XD) of an entry, as the hiBits argument of put64. */
export const XD = 0x80000000;

/** Sets the paging controls directly (no checks), as KVM_SET_SREGS would, and flushes the TLB. */
export function setPaging(vm: TestVm, cr3: number, cr4: number, efer = 0, cr0Extra = 0): void {
  const cpu = vm.vcpu.cpu;
  const s = cpu.state;
  s.setNum('cr3', cr3);
  s.setLo('cr4', cr4);
  s.setLo('efer', efer);
  s.setLo('cr0', Cr0.PE | Cr0.PG | Cr0.ET | cr0Extra);
  cpu.mmu.flush();
  cpu.refreshMode();
}

/** The #PF error code and CR2 `f` raises, or undefined when it succeeds. Other faults propagate. */
export function pageFault(f: () => unknown): { code: number; cr2: number } | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof GuestFault && e.vector === 14) return { code: e.errorCode ?? -1, cr2: e.cr2 ?? -1 };
    throw e;
  }
  return undefined;
}

/** The vector `f` raises, or undefined. */
export function faultVector(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof GuestFault) return e.vector;
    throw e;
  }
  return undefined;
}

export interface GuestPf {
  vector: number;
  errorCode: number | undefined;
  cr2: number | undefined;
  /** RIP of the faulting instruction (the block-entry RIP plus the fault's offset). */
  rip: number;
}

/**
 * Runs until the guest raises an exception and returns it with its CR2, RIP left at the
 * faulting instruction; the exception is not delivered (exit KVM_EXIT_EXCEPTION).
 */
export function runToException(vm: TestVm): GuestPf {
  const cpu = vm.vcpu.cpu;
  const s = cpu.state;
  const lookup = cpu.lookup.bind(cpu);
  let caught: GuestPf | undefined;
  const capture = (e: unknown): never => {
    if (!(e instanceof GuestFault)) throw e;
    const rip = e.delta >= 0 ? s.getNum('rip') + e.delta : s.getNum('rip');
    s.setNum('rip', rip);
    caught = { vector: e.vector, errorCode: e.errorCode, cr2: e.cr2, rip };
    throw new ExitSignal(ExitReason.EXCEPTION);
  };
  cpu.lookup = (single) => {
    let block: ReturnType<typeof lookup>;
    try {
      block = lookup(single);
    } catch (e) {
      return capture(e);
    }
    return {
      ...block,
      run: () => {
        try {
          block.run();
        } catch (e) {
          capture(e);
        }
      },
    };
  };
  try {
    const r = vm.run();
    if (caught === undefined) throw new Error(`expected a guest exception, got exit ${r.reason}${r.detail ? ': ' + r.detail : ''}`);
    return caught;
  } finally {
    cpu.lookup = lookup;
  }
}

/** Replaces the vCPU's CPUID table with the current one plus `features` (KVM_SET_CPUID2), raising max leaves as needed. */
export function advertise(vm: TestVm, ...features: CpuidFeature[]): void {
  const entries = vm.vcpu.cpuid.getEntries();
  for (const f of features) {
    const range = f.leaf >= 0x80000000 ? 0x80000000 : 0;
    const head = entries.find((e) => e.function === range)!;
    if (head.eax >>> 0 < f.leaf) head.eax = f.leaf;
    let e = entries.find((x) => x.function === f.leaf && x.index === (f.subleaf ?? 0));
    if (e === undefined) {
      e = { function: f.leaf, index: f.subleaf ?? 0, flags: f.subleaf === undefined ? 0 : 1, eax: 0, ebx: 0, ecx: 0, edx: 0 };
      entries.push(e);
    }
    const reg = (['eax', 'ebx', 'ecx', 'edx'] as const)[f.reg];
    e[reg] = (e[reg] | f.bit) >>> 0;
  }
  vm.vcpu.setCpuid2(entries);
  for (const f of features) if (!cpuidHas(vm.vcpu.cpuid, f)) throw new Error('advertise() failed');
}

/** Replaces the vCPU's CPUID table with the current one minus `features` (KVM_SET_CPUID2). */
export function conceal(vm: TestVm, ...features: CpuidFeature[]): void {
  const entries = vm.vcpu.cpuid.getEntries();
  for (const f of features) {
    const e = entries.find((x) => x.function === f.leaf && x.index === (f.subleaf ?? 0));
    if (e === undefined) continue;
    const reg = (['eax', 'ebx', 'ecx', 'edx'] as const)[f.reg];
    e[reg] = (e[reg] & ~f.bit) >>> 0;
  }
  vm.vcpu.setCpuid2(entries);
  for (const f of features) if (cpuidHas(vm.vcpu.cpuid, f)) throw new Error('conceal() failed');
}

/** CpuidReg re-exported for tests that build leaves by hand. */
export { CpuidReg };

/**
 * 64-bit mode at `rip` with 4-level paging rooted at `pml4`, set directly (EFER.LME|LMA,
 * CR4.PAE, CR0.PG, CS.L): for tests of what happens inside IA-32e mode, not of entering it.
 */
export function enterLongMode(vm: TestVm, pml4: number, rip: number, cr4Extra = 0, eferExtra = 0): void {
  const cpu = vm.vcpu.cpu;
  setPaging(vm, pml4, Cr4.PAE | cr4Extra, Efer.LME | Efer.LMA | eferExtra);
  for (const seg of [Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) {
    const attr = SegAttr.P | SegAttr.S | SegAttr.G | (seg === Seg.CS ? SegAttr.L | 0xb : SegAttr.DB | 3);
    cpu.setSegment(seg, seg === Seg.CS ? 8 : 0x10, 0, 0xffffffff, attr);
  }
  cpu.state.setU32('cpl', 0);
  cpu.state.setLo('rip', rip);
  cpu.refreshMode();
}

/** Whether the software TLB holds a read entry for `lin` (signed form) at the privilege `user`. */
export function tlbHolds(vm: TestVm, lin: number, user = false): boolean {
  const s = vm.vcpu.cpu.state;
  const idx = (lin >>> 12) & (TLB_ENTRIES - 1);
  const want = BigInt.asUintN(64, BigInt(Math.floor(lin / 4096) * 4096)) | (user ? 3n : 1n);
  return s.get64('tlbRead', idx) === want;
}

/** A translation through the vCPU's MMU. */
export function translate(vm: TestVm, lin: number, access = Access.Read, user = false): number {
  return vm.vcpu.cpu.mmu.translate(lin, access, user).phys;
}
