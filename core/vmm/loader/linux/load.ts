// Loading a Linux bzImage the way QEMU's -kernel and kvmtool do, then entering it through
// the 32-bit or 64-bit boot protocol directly (Documentation/arch/x86/boot.rst, "32-bit
// BOOT PROTOCOL", "64-bit BOOT PROTOCOL"), without running the real-mode setup code.
//
// Guest-physical layout:
//   0x6000            boot GDT (__BOOT_CS 0x10, __BOOT_DS 0x18)
//   0x7000            boot_params, the zero page (%esi)
//   0x9000 - 0xf000   identity-map page tables for the 64-bit entry (PML4, PDPT, 4 PDs)
//   0x10000           the real-mode setup code, as QEMU places it (not run)
//   0x20000           the command line (QEMU's cmdline_addr)
//   0x100000          the protected-mode kernel, or pref_address when the kernel is
//                     relocatable and it fits (the decompressor then runs in place)
//   top of RAM        the initrd, page aligned, below initrd_addr_max

import type { GuestPhysWriter } from '../multiboot.ts';
import { HIGH_MEMORY_START } from '../memory-map.ts';
import { encodeUtf8 } from '../utf8.ts';
import { linuxE820, type E820Entry } from './e820.ts';
import { bootGdt, identityMap4G, linuxEntry32, linuxEntry64, type LinuxEntryState } from './entry.ts';
import {
  parseSetupHeader,
  protocolString,
  XLF_KERNEL_64,
  type SetupHeader,
  type SetupHeaderError,
} from './setup-header.ts';
import { buildZeroPage } from './zero-page.ts';

export const LINUX_GDT_ADDR = 0x6000;
export const BOOT_PARAMS_ADDR = 0x7000;
export const PAGE_TABLES_ADDR = 0x9000;
export const SETUP_ADDR = 0x10000;
export const CMDLINE_ADDR = 0x20000;
/** boot.rst: heap_end_ptr = end of the setup heap (the command line here) - setup start - 0x200. */
export const HEAP_END_PTR_VALUE = CMDLINE_ADDR - SETUP_ADDR - 0x200;
/** RAM above this would cover the PCI hole and the IOAPIC/LAPIC pages. */
export const LINUX_MAX_RAM = 0xe0000000;
const PAGE = 0x1000;

export interface LinuxOptions {
  readonly ram: GuestPhysWriter;
  readonly cmdline: string;
  readonly initrd?: Uint8Array;
  /** Enter through the 64-bit protocol when the kernel has XLF_KERNEL_64 (the vCPU has long mode). */
  readonly longMode: boolean;
  /** boot_params.acpi_rsdp_addr (protocol 2.14+). */
  readonly acpiRsdpAddr?: number;
  /** Default: linuxE820(ram.ramSize). */
  readonly e820?: readonly E820Entry[];
}

export type LinuxLoadError =
  | SetupHeaderError
  | { readonly kind: 'cmdline-too-long'; readonly message: string }
  | { readonly kind: 'does-not-fit'; readonly message: string };

export interface LinuxBootInfo {
  readonly header: SetupHeader;
  readonly protocol: string;
  readonly loadAddr: number;
  /** Highest byte the kernel may use while decompressing and running (init_size). */
  readonly kernelEnd: number;
  readonly initrd?: { readonly addr: number; readonly size: number };
  readonly e820: readonly E820Entry[];
}

export type LinuxLoadResult =
  | { readonly ok: true; readonly entry: LinuxEntryState; readonly info: LinuxBootInfo }
  | { readonly ok: false; readonly error: LinuxLoadError };

const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
const hex = (n: number): string => `0x${n.toString(16)}`;

export function loadLinux(image: Uint8Array, o: LinuxOptions): LinuxLoadResult {
  const parsed = parseSetupHeader(image);
  if (!parsed.ok) return parsed;
  const h = parsed.header;
  const ramSize = o.ram.ramSize;
  if (ramSize > LINUX_MAX_RAM)
    return fail(
      'does-not-fit',
      `${mib(ramSize)} of RAM: at most ${mib(LINUX_MAX_RAM)} (the rest of the 32-bit space is the PCI hole)`,
    );
  const cmdline = encodeUtf8(o.cmdline);
  if (cmdline.includes(0))
    return fail('cmdline-too-long', 'the kernel command line contains a NUL character');
  if (cmdline.length > h.cmdlineSize)
    return fail(
      'cmdline-too-long',
      `the kernel command line is ${cmdline.length} bytes; this kernel takes at most ${h.cmdlineSize} (cmdline_size)`,
    );

  if (h.setupSize > CMDLINE_ADDR - SETUP_ADDR)
    return fail(
      'does-not-fit',
      `the real-mode setup code is ${h.setupSize} bytes (setup_sects); at most ${CMDLINE_ADDR - SETUP_ADDR} fit below the command line`,
    );
  const kernel = image.subarray(h.setupSize);
  const need = Math.max(h.initSize, kernel.length);
  const usePref = h.relocatable && h.prefAddress > HIGH_MEMORY_START && h.prefAddress + need <= ramSize;
  const loadAddr = usePref ? h.prefAddress : HIGH_MEMORY_START;
  // A relocatable kernel loaded low still decompresses to LOAD_PHYSICAL_ADDR (pref_address).
  const kernelEnd = Math.max(loadAddr, h.prefAddress) + need;
  if (kernelEnd > ramSize)
    return fail(
      'does-not-fit',
      `the kernel (${kernel.length} bytes, init_size ${h.initSize}) needs RAM up to ${hex(kernelEnd)} (${mib(kernelEnd)}), but --mem is ${mib(ramSize)}`,
    );

  let initrd: LinuxBootInfo['initrd'];
  if (o.initrd !== undefined && o.initrd.length > 0) {
    const size = o.initrd.length;
    const top = Math.min(h.initrdAddrMax + 1, ramSize);
    const addr = Math.floor((top - size) / PAGE) * PAGE;
    if (addr < kernelEnd)
      return fail(
        'does-not-fit',
        `the initrd (${size} bytes, ${mib(size)}) does not fit between the kernel's end ${hex(kernelEnd)} and ${hex(top)} ` +
          `(top of RAM or initrd_addr_max); the kernel needs ${mib(kernelEnd)} and --mem is ${mib(ramSize)}`,
      );
    initrd = { addr, size };
  }

  const e820 = o.e820 ?? linuxE820(ramSize);
  const longMode = o.longMode && (h.xloadflags & XLF_KERNEL_64) !== 0;
  const zeroPage = buildZeroPage(image, h, {
    cmdLinePtr: CMDLINE_ADDR,
    heapEndPtr: HEAP_END_PTR_VALUE,
    code32Start: loadAddr,
    ramdisk: initrd && { image: initrd.addr, size: initrd.size },
    e820,
    acpiRsdpAddr: o.acpiRsdpAddr,
  });

  const ram = o.ram;
  ram.write(SETUP_ADDR, image.subarray(0, h.setupSize));
  ram.write(CMDLINE_ADDR, Uint8Array.from([...cmdline, 0]));
  ram.write(loadAddr, kernel);
  if (initrd && o.initrd) ram.write(initrd.addr, o.initrd);
  ram.write(BOOT_PARAMS_ADDR, zeroPage);
  ram.write(LINUX_GDT_ADDR, bootGdt(longMode));
  if (longMode) ram.write(PAGE_TABLES_ADDR, identityMap4G(PAGE_TABLES_ADDR));

  const entry = longMode
    ? linuxEntry64(loadAddr, BOOT_PARAMS_ADDR, LINUX_GDT_ADDR, PAGE_TABLES_ADDR)
    : linuxEntry32(loadAddr, BOOT_PARAMS_ADDR, LINUX_GDT_ADDR);
  return {
    ok: true,
    entry,
    info: { header: h, protocol: protocolString(h.version), loadAddr, kernelEnd, initrd, e820 },
  };
}

function fail(kind: 'cmdline-too-long' | 'does-not-fit', message: string): LinuxLoadResult {
  return { ok: false, error: { kind, message } };
}
