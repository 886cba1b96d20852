// The machine state the Linux kernel is entered in (Documentation/arch/x86/boot.rst):
//  - "32-bit BOOT PROTOCOL": protected mode, paging off, a GDT with __BOOT_CS (0x10) a flat
//    4 GiB execute/read segment and __BOOT_DS (0x18) a flat read/write one, CS = __BOOT_CS,
//    DS = ES = SS = __BOOT_DS, interrupts off, %esi = boot_params, %ebp %edi %ebx = 0;
//    entry at code32_start (the protected-mode kernel's load address).
//  - "64-bit BOOT PROTOCOL": long mode, paging on with an identity map covering the
//    kernel, the zero page and the command line, __BOOT_CS a 64-bit code segment, the
//    same register rules with %rsi = boot_params; entry at the load address + 0x200
//    (startup_64 of the compressed kernel; xloadflags.XLF_KERNEL_64).
// Plain data; the VMM turns it into KVM_SET_SREGS / KVM_SET_REGS.

import type { DescriptorTableRegister, SegmentRegister } from '../entry-state.ts';

export const BOOT_CS = 0x10;
export const BOOT_DS = 0x18;
/** startup_64 is 0x200 bytes into the protected-mode kernel (boot.rst, 64-bit protocol). */
export const STARTUP_64_OFFSET = 0x200;

// CR0, CR4 and EFER bits (SDM Vol. 3A 2.5, 2.2.1).
const CR0_PE = 1 << 0;
const CR0_ET = 1 << 4;
const CR0_PG = 0x80000000;
const CR4_PAE = 1 << 5;
const EFER_LME = 1 << 8;
const EFER_LMA = 1 << 10;
/** EFLAGS with only the always-one bit 1: IF clear. */
const EFLAGS_RESERVED = 0x2;

// Descriptor type fields after loading (accessed bit set; SDM Vol. 3A 3.4.5.1).
const TYPE_CODE_XR_ACCESSED = 0xb;
const TYPE_DATA_RW_ACCESSED = 0x3;

/**
 * GDT: null, null, __BOOT_CS, __BOOT_DS. The 32-bit one has a 32-bit code segment
 * (0x00cf9a000000ffff), the 64-bit one an L=1 code segment (0x00af9a000000ffff).
 */
// prettier-ignore
export function bootGdt(longMode: boolean): Uint8Array {
  return Uint8Array.from([
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, longMode ? 0xaf : 0xcf, 0x00,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0xcf, 0x00,
  ]);
}

export interface LinuxEntryState {
  readonly longMode: boolean;
  readonly rip: number;
  /** boot_params. */
  readonly rsi: number;
  readonly eflags: number;
  readonly cr0: number;
  readonly cr3: number;
  readonly cr4: number;
  readonly efer: number;
  readonly cs: SegmentRegister;
  /** DS, ES, FS, GS and SS. */
  readonly data: SegmentRegister;
  readonly gdtr: DescriptorTableRegister;
  readonly idtr: DescriptorTableRegister;
}

function flat(selector: number, type: number, longCode: boolean): SegmentRegister {
  return {
    selector,
    base: 0,
    limit: 0xffffffff,
    type,
    present: 1,
    dpl: 0,
    db: longCode ? 0 : 1,
    s: 1,
    l: longCode ? 1 : 0,
    g: 1,
    avl: 0,
  };
}

export function linuxEntry32(code32Start: number, bootParams: number, gdtBase: number): LinuxEntryState {
  return {
    longMode: false,
    rip: code32Start,
    rsi: bootParams,
    eflags: EFLAGS_RESERVED,
    cr0: CR0_PE | CR0_ET,
    cr3: 0,
    cr4: 0,
    efer: 0,
    cs: flat(BOOT_CS, TYPE_CODE_XR_ACCESSED, false),
    data: flat(BOOT_DS, TYPE_DATA_RW_ACCESSED, false),
    gdtr: { base: gdtBase, limit: 4 * 8 - 1 },
    idtr: { base: 0, limit: 0 },
  };
}

export function linuxEntry64(
  loadAddr: number,
  bootParams: number,
  gdtBase: number,
  pml4: number,
): LinuxEntryState {
  return {
    longMode: true,
    rip: loadAddr + STARTUP_64_OFFSET,
    rsi: bootParams,
    eflags: EFLAGS_RESERVED,
    cr0: CR0_PE | CR0_ET | CR0_PG,
    cr3: pml4,
    cr4: CR4_PAE,
    efer: EFER_LME | EFER_LMA,
    cs: flat(BOOT_CS, TYPE_CODE_XR_ACCESSED, true),
    data: flat(BOOT_DS, TYPE_DATA_RW_ACCESSED, false),
    gdtr: { base: gdtBase, limit: 4 * 8 - 1 },
    idtr: { base: 0, limit: 0 },
  };
}

// 4-level paging structures (SDM Vol. 3A 4.5): present, writable; 2 MiB pages in the PDs.
const PTE_P = 1 << 0;
const PTE_RW = 1 << 1;
const PDE_PS = 1 << 7;
const PAGE = 0x1000;
const ENTRIES = 512;
const TWO_MIB = 0x200000;
const ONE_GIB = 0x40000000;
/** Identity map of the low 4 GiB: one PML4 page, one PDPT page, four PD pages. */
export const IDENTITY_MAP_GIB = 4;
export const IDENTITY_MAP_BYTES = (2 + IDENTITY_MAP_GIB) * PAGE;

/** The page tables at `base` (4 KiB aligned) identity-mapping 0..4 GiB; CR3 = base. */
export function identityMap4G(base: number): Uint8Array {
  const out = new Uint8Array(IDENTITY_MAP_BYTES);
  const dv = new DataView(out.buffer);
  const pdpt = base + PAGE;
  dv.setUint32(0, pdpt | PTE_P | PTE_RW, true);
  for (let g = 0; g < IDENTITY_MAP_GIB; g++) {
    const pd = base + (2 + g) * PAGE;
    dv.setUint32(PAGE + 8 * g, pd | PTE_P | PTE_RW, true);
    for (let i = 0; i < ENTRIES; i++) {
      const phys = g * ONE_GIB + i * TWO_MIB;
      dv.setUint32((2 + g) * PAGE + 8 * i, (phys | PTE_P | PTE_RW | PDE_PS) >>> 0, true);
    }
  }
  return out;
}
