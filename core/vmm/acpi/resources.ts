// Resource descriptors for a _CRS buffer (ACPI 6.5, 6.4 "Resource Data Types for ACPI"):
// the few a PCI root bridge needs to say which bus numbers, I/O ports and memory it decodes.

// Large resource item names (6.4.3) and the small items used (6.4.2).
const ACPI_RESOURCE_DWORD_ADDRESS = 0x87;
const ACPI_RESOURCE_WORD_ADDRESS = 0x88;
const ACPI_RESOURCE_FIXED_MEMORY32 = 0x86;
const ACPI_RESOURCE_IO = 0x47; // small item 0x08, length 7
const ACPI_RESOURCE_END_TAG = 0x79; // small item 0x0F, length 1

// Address space descriptor fields (6.4.3.5, Table 6.44).
export const ACPI_MEMORY_RANGE = 0;
export const ACPI_IO_RANGE = 1;
export const ACPI_BUS_NUMBER_RANGE = 2;
/** General flags: _MAF and _MIF set (fixed window), positive decode, producer. */
const ACPI_ADDRESS_FIXED_PRODUCER = 0x0c;
/** I/O type-specific flags: ISA and non-ISA ranges (_RNG = 3). */
const ACPI_IO_ENTIRE_RANGE = 0x03;
/** Memory type-specific flags: read/write, cacheable (_MEM = 1). */
const ACPI_MEMORY_CACHEABLE_RW = 0x03;
const WORD_DESCRIPTOR_LENGTH = 13;
const DWORD_DESCRIPTOR_LENGTH = 23;
const FIXED_MEMORY32_LENGTH = 9;
/** Fixed Memory32 information byte: bit 0, write status (1 = read/write). */
const ACPI_READ_WRITE_MEMORY = 1;
/** IO descriptor information byte: 16-bit decode (6.4.2.5). */
const ACPI_DECODE_16 = 1;

const u16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
const u32 = (v: number): number[] => [...u16(v & 0xffff), ...u16(v >>> 16)];

/** Word Address Space Descriptor (6.4.3.5.3) for a bus number or I/O range [min, max]. */
export function wordAddress(
  type: typeof ACPI_IO_RANGE | typeof ACPI_BUS_NUMBER_RANGE,
  min: number,
  max: number,
): number[] {
  const tflags = type === ACPI_IO_RANGE ? ACPI_IO_ENTIRE_RANGE : 0;
  return [
    ACPI_RESOURCE_WORD_ADDRESS,
    ...u16(WORD_DESCRIPTOR_LENGTH),
    type,
    ACPI_ADDRESS_FIXED_PRODUCER,
    tflags,
    ...u16(0),
    ...u16(min),
    ...u16(max),
    ...u16(0),
    ...u16(max - min + 1),
  ];
}

/** DWord Address Space Descriptor (6.4.3.5.2) for a memory range [min, max]. */
export function dwordMemory(min: number, max: number): number[] {
  return [
    ACPI_RESOURCE_DWORD_ADDRESS,
    ...u16(DWORD_DESCRIPTOR_LENGTH),
    ACPI_MEMORY_RANGE,
    ACPI_ADDRESS_FIXED_PRODUCER,
    ACPI_MEMORY_CACHEABLE_RW,
    ...u32(0),
    ...u32(min),
    ...u32(max),
    ...u32(0),
    ...u32(max - min + 1),
  ];
}

/** 32-Bit Fixed Memory Range Descriptor (6.4.3.4): `length` bytes at `base`, read/write. */
export function fixedMemory32(base: number, length: number): number[] {
  return [
    ACPI_RESOURCE_FIXED_MEMORY32,
    ...u16(FIXED_MEMORY32_LENGTH),
    ACPI_READ_WRITE_MEMORY,
    ...u32(base),
    ...u32(length),
  ];
}

/** I/O Port Descriptor (6.4.2.5): a fixed range of `length` ports at `base`. */
export function ioPorts(base: number, length: number): number[] {
  return [ACPI_RESOURCE_IO, ACPI_DECODE_16, ...u16(base), ...u16(base), 1, length];
}

/** End Tag (6.4.2.9) with checksum 0, "treated as if the checksum operation succeeded". */
export function endTag(): number[] {
  return [ACPI_RESOURCE_END_TAG, 0];
}
