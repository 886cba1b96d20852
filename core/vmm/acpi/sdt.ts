// Building ACPI tables byte by byte: a little-endian writer, the 36-byte System
// Description Table header (ACPI 6.5, 5.2.6, Table 5.4) and the checksum rule that every
// table's bytes sum to zero modulo 256 (5.2.6, "Checksum").

/** Identity written into every table header (OEMID, OEM Table ID, Creator ID). */
export interface AcpiOemIds {
  /** 6 ASCII characters. */
  readonly oemId: string;
  /** 8 ASCII characters. */
  readonly oemTableId: string;
  readonly oemRevision: number;
  /** 4 ASCII characters: the tool that built the table. */
  readonly creatorId: string;
  readonly creatorRevision: number;
}

export const DEFAULT_OEM_IDS: AcpiOemIds = {
  oemId: 'WASMKV',
  oemTableId: 'WASMKVM ',
  oemRevision: 1,
  creatorId: 'WKVM',
  creatorRevision: 1,
};

export const SDT_HEADER_SIZE = 36;
// Header field offsets (Table 5.4).
export const SDT_SIGNATURE = 0;
export const SDT_LENGTH = 4;
export const SDT_REVISION = 8;
export const SDT_CHECKSUM = 9;
export const SDT_OEM_ID = 10;
export const SDT_OEM_TABLE_ID = 16;
export const SDT_OEM_REVISION = 24;
export const SDT_CREATOR_ID = 28;
export const SDT_CREATOR_REVISION = 32;

/** A growable little-endian byte buffer. Values must fit their width (host-side data). */
export class ByteWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private reserve(n: number): number {
    if (this.len + n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  u8(v: number): this {
    this.buf[this.reserve(1)] = v;
    return this;
  }
  u16(v: number): this {
    const at = this.reserve(2);
    this.buf[at] = v & 0xff;
    this.buf[at + 1] = (v >>> 8) & 0xff;
    return this;
  }
  u32(v: number): this {
    const at = this.reserve(4);
    for (let i = 0; i < 4; i++) this.buf[at + i] = (v >>> (8 * i)) & 0xff;
    return this;
  }
  /** A 64-bit field from a number below 2^53. */
  u64(v: number): this {
    return this.u32(v % 2 ** 32).u32(Math.floor(v / 2 ** 32));
  }
  bytes(b: ArrayLike<number>): this {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
    return this;
  }
  /** Exactly `n` ASCII bytes (NUL allowed as padding); another length is a host bug. */
  ascii(s: string, n: number): this {
    const printable = [...s].every((c) => c === '\0' || (c >= ' ' && c <= '~'));
    if (s.length !== n || !printable) throw new RangeError(`acpi: "${s}" is not ${n} ASCII characters`);
    for (let i = 0; i < n; i++) this.u8(s.charCodeAt(i));
    return this;
  }
  zeros(n: number): this {
    this.reserve(n);
    return this;
  }
  /** Overwrites a u32 already written. */
  patch32(at: number, v: number): void {
    for (let i = 0; i < 4; i++) this.buf[at + i] = (v >>> (8 * i)) & 0xff;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** The byte that makes `bytes` sum to 0 mod 256 when stored in a zeroed checksum field. */
export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return (256 - (sum & 0xff)) & 0xff;
}

/**
 * A complete System Description Table: the header (Table 5.4), then `body`, with Length
 * and Checksum filled in.
 */
export function sdt(
  signature: string,
  revision: number,
  body: Uint8Array,
  ids: AcpiOemIds = DEFAULT_OEM_IDS,
): Uint8Array {
  const w = new ByteWriter()
    .ascii(signature, 4)
    .u32(SDT_HEADER_SIZE + body.length)
    .u8(revision)
    .u8(0) // checksum, below
    .ascii(ids.oemId, 6)
    .ascii(ids.oemTableId, 8)
    .u32(ids.oemRevision)
    .ascii(ids.creatorId, 4)
    .u32(ids.creatorRevision)
    .bytes(body);
  const table = w.finish();
  table[SDT_CHECKSUM] = checksum(table);
  return table;
}
