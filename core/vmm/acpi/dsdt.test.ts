// The platform DSDT: AML encodings from ACPI 6.5 chapters 6 and 20, and, where Debian's
// acpica-tools is installed, iasl's disassembly of the table we build.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eisaId } from './aml.ts';
import { buildDsdt } from './dsdt.ts';
import { dwordMemory, endTag, ioPorts, wordAddress, ACPI_IO_RANGE } from './resources.ts';

const platform = {
  slpTypS3: 1,
  pci: {
    memWindow: { base: 0xf0000000, limit: 0xfec00000 },
    routes: [
      { slot: 1, pin: 1, gsi: 11 },
      { slot: 2, pin: 2, gsi: 10 },
    ],
    ecam: { base: 0xe0000000, limit: 0xf0000000, startBus: 0, endBus: 0xff },
  },
};

function hasIasl(): boolean {
  try {
    execFileSync('iasl', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('AML for the PCI root bridge', () => {
  it('EISAID("PNP0A03") is the DWord 0x030AD041 (19.6.35)', () => {
    expect(eisaId('PNP0A03')).toEqual([0x0c, 0x41, 0xd0, 0x0a, 0x03]);
  });

  it('resource descriptors have the item names and lengths of 6.4', () => {
    expect(wordAddress(ACPI_IO_RANGE, 0xd00, 0xffff).slice(0, 4)).toEqual([0x88, 13, 0, ACPI_IO_RANGE]);
    expect(dwordMemory(0xa0000, 0xbffff).slice(0, 3)).toEqual([0x87, 23, 0]);
    expect(ioPorts(0xcf8, 8)).toEqual([0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08]);
    expect(endTag()).toEqual([0x79, 0x00]);
  });
});

describe.skipIf(!hasIasl())('iasl -d (acpica-tools)', () => {
  it('disassembles _S5, _S3 and \\_SB.PCI0 with its _CRS windows and _PRT', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsdt-'));
    writeFileSync(join(dir, 'dsdt.dat'), buildDsdt(0, undefined, platform));
    execFileSync('iasl', ['-d', 'dsdt.dat'], { cwd: dir, stdio: 'ignore' });
    const dsl = readFileSync(join(dir, 'dsdt.dsl'), 'utf8').replace(/\s+/g, ' ');
    expect(dsl).toContain('Name (_S3, Package (0x04) // _S3_: S3 System State { One, One, Zero, Zero })');
    expect(dsl).toContain('Device (PCI0)');
    expect(dsl).toContain('Name (_HID, EisaId ("PNP0A03") /* PCI Bus */)');
    expect(dsl).toContain(
      'WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0x0000, // Granularity 0x0000, // Range Minimum 0x00FF',
    );
    expect(dsl).toContain('0xF0000000, // Range Minimum 0xFEBFFFFF, // Range Maximum');
    expect(dsl).toContain('Package (0x04) { 0x0001FFFF, Zero, Zero, 0x0B }');
    expect(dsl).toContain('Package (0x04) { 0x0002FFFF, One, Zero, 0x0A }');
  });

  it('reserves the ECAM as a motherboard resource (PNP0C02) inside PCI0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsdt-'));
    writeFileSync(join(dir, 'dsdt.dat'), buildDsdt(0, undefined, platform));
    execFileSync('iasl', ['-d', 'dsdt.dat'], { cwd: dir, stdio: 'ignore' });
    const dsl = readFileSync(join(dir, 'dsdt.dsl'), 'utf8').replace(/\s+/g, ' ');
    expect(dsl).toContain('Device (PDRC) { Name (_HID, EisaId ("PNP0C02") /* PNP Motherboard Resources */)');
    expect(dsl).toContain(
      'Memory32Fixed (ReadWrite, 0xE0000000, // Address Base 0x10000000, // Address Length',
    );
  });
});
