// AML encodings from ACPI 6.5, chapter 20; the _S5 bytes are what iasl 20200925 emits
// for `Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero })`.
import { describe, expect, it } from 'vitest';
import { integer, nameString, packageOf, pkgLength } from './aml.ts';
import { s5Object } from './dsdt.ts';

describe('AML encoding (ACPI 6.5, 20.2)', () => {
  it('PkgLength: one byte up to 63, then a lead byte with the byte count in bits 7:6 (20.2.4)', () => {
    expect(pkgLength(0)).toEqual([0x01]);
    expect(pkgLength(62)).toEqual([0x3f]);
    expect(pkgLength(63)).toEqual([0x41, 0x04]); // total 65 = 0x041
    expect(pkgLength(4093)).toEqual([0x4f, 0xff]); // total 4095 = 0xfff, the largest 2-byte length
    expect(pkgLength(4094)).toEqual([0x81, 0x00, 0x01]); // total 4097 = 0x1001
  });

  it('integers take the shortest of ZeroOp, OneOp, BytePrefix, WordPrefix, DWordPrefix (20.2.3)', () => {
    expect(integer(0)).toEqual([0x00]);
    expect(integer(1)).toEqual([0x01]);
    expect(integer(5)).toEqual([0x0a, 0x05]);
    expect(integer(0x1234)).toEqual([0x0b, 0x34, 0x12]);
    expect(integer(0x12345678)).toEqual([0x0c, 0x78, 0x56, 0x34, 0x12]);
  });

  it('NameSegs are four characters padded with underscores, optionally rooted (20.2.2)', () => {
    expect(nameString('_S5')).toEqual([0x5f, 0x53, 0x35, 0x5f]);
    expect(nameString('\\PCI0')).toEqual([0x5c, 0x50, 0x43, 0x49, 0x30]);
    expect(() => nameString('5ABC')).toThrow(RangeError);
    expect(() => nameString('ABCDE')).toThrow(RangeError);
  });

  it('Package: PackageOp, PkgLength, NumElements, elements (20.2.5.4)', () => {
    expect(packageOf([integer(0), integer(7)])).toEqual([0x12, 0x05, 0x02, 0x00, 0x0a, 0x07]);
  });

  it('the _S5 object matches iasl byte for byte', () => {
    expect(s5Object(0)).toEqual([0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00]);
  });
});
