// The few ACPI Machine Language encodings the DSDT needs (ACPI 6.5, chapter 20 "ACPI
// Machine Language (AML) Specification"). Each function returns the encoded bytes.

// Opcodes (20.3 "AML Byte Stream Byte Values").
export const AML_ZERO_OP = 0x00;
export const AML_ONE_OP = 0x01;
export const AML_NAME_OP = 0x08;
export const AML_BYTE_PREFIX = 0x0a;
export const AML_WORD_PREFIX = 0x0b;
export const AML_DWORD_PREFIX = 0x0c;
export const AML_PACKAGE_OP = 0x12;
export const AML_ROOT_CHAR = 0x5c; // '\'

/**
 * PkgLength for a construct whose contents after the PkgLength are `payload` bytes
 * (20.2.4 "Package Length Encoding"): the encoded length counts the PkgLength bytes too.
 * One byte holds lengths up to 63 in bits 5:0; otherwise bits 7:6 of the lead byte give
 * the number of following bytes (1-3), its bits 3:0 the low nibble, the following bytes
 * the rest, least significant first.
 */
export function pkgLength(payload: number): number[] {
  if (payload + 1 <= 0x3f) return [payload + 1];
  for (let extra = 1; extra <= 3; extra++) {
    const total = payload + 1 + extra;
    if (total < 2 ** (4 + 8 * extra)) {
      const out = [(extra << 6) | (total & 0x0f)];
      for (let i = 0; i < extra; i++) out.push(Math.floor(total / 2 ** (4 + 8 * i)) & 0xff);
      return out;
    }
  }
  throw new RangeError(`aml: package of ${payload} bytes is too long`);
}

/**
 * A NameString (20.2.2): an optional root prefix and one NameSeg of up to four characters
 * ('A'-'Z', '_', digits after the first), padded with '_'.
 */
export function nameString(name: string): number[] {
  const rooted = name.startsWith('\\');
  const seg = rooted ? name.slice(1) : name;
  if (!/^[A-Z_][A-Z0-9_]{0,3}$/.test(seg)) throw new RangeError(`aml: bad NameSeg "${seg}"`);
  const padded = seg.padEnd(4, '_');
  return [...(rooted ? [AML_ROOT_CHAR] : []), ...[...padded].map((c) => c.charCodeAt(0))];
}

/** An Integer constant with the shortest encoding (20.2.3 "Data Objects Encoding"). */
export function integer(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    throw new RangeError(`aml: integer ${value}`);
  if (value === 0) return [AML_ZERO_OP];
  if (value === 1) return [AML_ONE_OP];
  if (value <= 0xff) return [AML_BYTE_PREFIX, value];
  if (value <= 0xffff) return [AML_WORD_PREFIX, value & 0xff, value >>> 8];
  return [AML_DWORD_PREFIX, value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
}

/** DefPackage := PackageOp PkgLength NumElements PackageElementList (20.2.5.4). */
export function packageOf(elements: readonly number[][]): number[] {
  if (elements.length > 0xff) throw new RangeError('aml: more than 255 package elements');
  const body = [elements.length, ...elements.flat()];
  return [AML_PACKAGE_OP, ...pkgLength(body.length), ...body];
}

/** DefName := NameOp NameString DataRefObject (20.2.5.1). */
export function defName(name: string, object: number[]): number[] {
  return [AML_NAME_OP, ...nameString(name), ...object];
}

// Named objects and data for the PCI root bridge (20.2.5.1-20.2.5.2, 20.2.3).
export const AML_BUFFER_OP = 0x11;
export const AML_SCOPE_OP = 0x10;
export const AML_EXT_OP_PREFIX = 0x5b;
export const AML_DEVICE_OP = 0x82; // after ExtOpPrefix

/** DefScope := ScopeOp PkgLength NameString TermList. */
export function scope(name: string, terms: readonly number[][]): number[] {
  const body = [...nameString(name), ...terms.flat()];
  return [AML_SCOPE_OP, ...pkgLength(body.length), ...body];
}

/** DefDevice := ExtOpPrefix DeviceOp PkgLength NameString TermList. */
export function device(name: string, terms: readonly number[][]): number[] {
  const body = [...nameString(name), ...terms.flat()];
  return [AML_EXT_OP_PREFIX, AML_DEVICE_OP, ...pkgLength(body.length), ...body];
}

/** DefBuffer := BufferOp PkgLength BufferSize ByteList. */
export function buffer(bytes: readonly number[]): number[] {
  const body = [...integer(bytes.length), ...bytes];
  return [AML_BUFFER_OP, ...pkgLength(body.length), ...body];
}

/**
 * EISAID("PNP0A03") as the 32-bit integer ASL's EISAID() makes (19.6.35): three letters
 * in 5 bits each (A = 1) and four hex digits, stored big-endian.
 */
export function eisaId(id: string): number[] {
  if (!/^[A-Z]{3}[0-9A-F]{4}$/.test(id)) throw new RangeError(`aml: bad EISA ID "${id}"`);
  const c = (i: number) => id.charCodeAt(i) - 0x40;
  const vendor = (c(0) << 10) | (c(1) << 5) | c(2);
  const product = parseInt(id.slice(3), 16);
  const bytes = [vendor >> 8, vendor & 0xff, product >> 8, product & 0xff];
  return integer((bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0);
}
