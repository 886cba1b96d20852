// The machine state a Multiboot v1 kernel starts in: Multiboot Specification 0.6.96,
// §3.2 "Machine state", with the values QEMU's multiboot option ROM
// (pc-bios/optionrom/multiboot.S) actually leaves where the spec allows a choice.
// Plain data; the VMM maps it to KVM_SET_REGS / KVM_SET_SREGS. Field names follow
// struct kvm_segment and struct kvm_dtable (Documentation/virt/kvm/api.rst).

/** §3.2: EAX must hold this magic, telling the OS a Multiboot boot loader loaded it. */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;

/** A segment register including its hidden (descriptor cache) part, as struct kvm_segment. */
export interface SegmentRegister {
  readonly selector: number;
  readonly base: number;
  /** Byte limit, already scaled by the granularity bit. */
  readonly limit: number;
  /** Descriptor type field (SDM Vol. 3A §3.4.5.1): 0xB code execute/read accessed, 0x3 data read/write accessed. */
  readonly type: number;
  readonly present: 0 | 1;
  readonly dpl: number;
  /** D/B: 1 = 32-bit segment. */
  readonly db: 0 | 1;
  /** S: 1 = code or data (not system). */
  readonly s: 0 | 1;
  /** L: 64-bit code; always 0 here. */
  readonly l: 0 | 1;
  /** G: 4 KiB granularity. */
  readonly g: 0 | 1;
  readonly avl: 0 | 1;
}

export interface DescriptorTableRegister {
  readonly base: number;
  readonly limit: number;
}

export interface MultibootEntryState {
  /** The kernel's entry point (physical; paging is off). */
  readonly eip: number;
  /** MULTIBOOT_BOOTLOADER_MAGIC. */
  readonly eax: number;
  /** Physical address of the Multiboot information structure. */
  readonly ebx: number;
  /** §3.2: VM (bit 17) and IF (bit 9) clear; bit 1 is the always-one reserved bit. */
  readonly eflags: number;
  /** §3.2: PG clear, PE set. ET (bit 4) is what the CPU and QEMU report (multiboot.S writes 1, CR0 reads back 0x11). */
  readonly cr0: number;
  /** §3.2: CS 32-bit read/execute, offset 0, limit 0xFFFFFFFF; DS, ES, FS, GS, SS 32-bit read/write, same base and limit. */
  readonly segments: {
    readonly cs: SegmentRegister;
    readonly ds: SegmentRegister;
    readonly es: SegmentRegister;
    readonly fs: SegmentRegister;
    readonly gs: SegmentRegister;
    readonly ss: SegmentRegister;
  };
  /**
   * §3.2 lets GDTR be invalid ("the OS image must not load any segment registers ... until
   * it sets up its own GDT"). QEMU's points at the option ROM's GDT, so kernels that reload
   * 0x08/0x10 early still work there; ours points at a copy of that GDT in low memory.
   */
  readonly gdtr: DescriptorTableRegister;
  /** §3.2: IDTR undefined; the real-mode IVT (base 0, limit 0x3FF) is what QEMU leaves. */
  readonly idtr: DescriptorTableRegister;
  /** §3.2: "A20 gate: Must be enabled." */
  readonly a20Enabled: true;
}

/** Selectors of QEMU's option ROM GDT: 0x08 flat 32-bit code, 0x10 flat 32-bit data. */
export const BOOT_CS_SELECTOR = 0x08;
export const BOOT_DS_SELECTOR = 0x10;

/**
 * QEMU multiboot.S's GDT, descriptor for descriptor: null; 0x08 code base 0 limit 0xFFFFF
 * 4 KiB 32-bit exec/read; 0x10 data the same, read/write; 0x18 and 0x20 16-bit code and
 * data, limit 0xFFFF, that its real-mode return path would use.
 */
// prettier-ignore
export const BOOT_GDT = Uint8Array.from([
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xcf, 0x00,
  0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0xcf, 0x00,
  0xff, 0xff, 0x00, 0x00, 0x00, 0x9e, 0x00, 0x00,
  0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0x00, 0x00,
]);

function flat(selector: number, type: number): SegmentRegister {
  return { selector, base: 0, limit: 0xffffffff, type, present: 1, dpl: 0, db: 1, s: 1, l: 0, g: 1, avl: 0 };
}

export function multibootEntryState(eip: number, mbiAddr: number, gdtBase: number): MultibootEntryState {
  // Loading a descriptor sets its accessed bit, so the cached types are 0x9A|1 and 0x92|1.
  const data = flat(BOOT_DS_SELECTOR, 0x3);
  return {
    eip,
    eax: MULTIBOOT_BOOTLOADER_MAGIC,
    ebx: mbiAddr,
    eflags: 0x2,
    cr0: 0x11,
    segments: { cs: flat(BOOT_CS_SELECTOR, 0xb), ds: data, es: data, fs: data, gs: data, ss: data },
    gdtr: { base: gdtBase, limit: BOOT_GDT.length - 1 },
    idtr: { base: 0, limit: 0x3ff },
    a20Enabled: true,
  };
}
