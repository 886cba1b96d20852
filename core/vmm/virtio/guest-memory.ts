// How virtio devices reach guest RAM: the VMM injects this, backed by the memory slots.
// Both calls answer "no" for any range not wholly inside guest RAM (MMIO holes, beyond the
// top of memory, negative or unsafe addresses) instead of throwing, so a descriptor that
// points anywhere becomes an error value the device reports to the guest (STYLE.md rule 6).
//
// `read` may return a view of guest memory rather than a copy: use it before the next
// guest-visible step and do not keep it.

export interface GuestMemory {
  /** `len` bytes at guest-physical `gpa`, or undefined if any of them is not RAM. */
  read(gpa: number, len: number): Uint8Array | undefined;
  /** Stores `bytes` at `gpa`; false (and nothing written) if any byte falls outside RAM. */
  write(gpa: number, bytes: Uint8Array): boolean;
}

// Little-endian field access: virtio structures are little-endian (Virtio 1.2, 1.4).

export function readLe16(mem: GuestMemory, gpa: number): number | undefined {
  const b = mem.read(gpa, 2);
  return b === undefined ? undefined : b[0] | (b[1] << 8);
}

export function readLe32(mem: GuestMemory, gpa: number): number | undefined {
  const b = mem.read(gpa, 4);
  return b === undefined ? undefined : (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}

export function writeLe16(mem: GuestMemory, gpa: number, value: number): boolean {
  return mem.write(gpa, Uint8Array.of(value & 0xff, (value >>> 8) & 0xff));
}

export function writeLe32(mem: GuestMemory, gpa: number, value: number): boolean {
  return mem.write(
    gpa,
    Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff),
  );
}

/** A 64-bit little-endian value as a number; undefined above 2^53 (no guest RAM lives there). */
export function le64ToNumber(lo: number, hi: number): number | undefined {
  return hi < 0x200000 ? hi * 2 ** 32 + lo : undefined;
}
