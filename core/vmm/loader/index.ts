// Kernel loaders of the VMM. Multiboot v1 (QEMU `-kernel` compatible) for now.
export { loadMultiboot } from './multiboot.ts';
export type {
  GuestPhysWriter,
  LoadedModule,
  MultibootInfo,
  MultibootLoadResult,
  MultibootModule,
  MultibootOptions,
} from './multiboot.ts';
export {
  MULTIBOOT_INFO_ADDR,
  MULTIBOOT_MMAP_ADDR,
  BOOT_GDT_ADDR,
  QEMU_MBI_FLAGS,
  QEMU_BOOT_DEVICE,
} from './multiboot.ts';
export { MULTIBOOT_BOOTLOADER_MAGIC, multibootEntryState } from './entry-state.ts';
export type { DescriptorTableRegister, MultibootEntryState, SegmentRegister } from './entry-state.ts';
export { findMultibootHeader } from './multiboot-header.ts';
export type { MultibootHeader } from './multiboot-header.ts';
export { identifyElf, parseElf32 } from './elf.ts';
export type { Elf32Header, Elf32Image, Elf32ProgramHeader, ElfIdentity } from './elf.ts';
export { splitInitrdList, joinInitrdList } from './initrd-list.ts';
export type { InitrdItem } from './initrd-list.ts';
export type { GpaRange, LoaderError, LoaderErrorKind } from './errors.ts';
export type { MemoryMapEntry } from './memory-map.ts';
