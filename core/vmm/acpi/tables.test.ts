// Every table decoded back field by field against the ACPI 6.5 layouts (section and table
// numbers in the tests). iasl 20200925 disassembles the same blob without complaint.
import { describe, expect, it } from 'vitest';
import { buildAcpiTables } from './tables.ts';

const BASE = 0xe0000;

function setup(cpus = 2) {
  const t = buildAcpiTables(BASE, { cpus });
  const dv = new DataView(t.bytes.buffer);
  const at = (addr: number) => addr - BASE;
  const u8 = (addr: number) => dv.getUint8(at(addr));
  const u16 = (addr: number) => dv.getUint16(at(addr), true);
  const u32 = (addr: number) => dv.getUint32(at(addr), true);
  const u64 = (addr: number) => u32(addr) + u32(addr + 4) * 2 ** 32;
  const str = (addr: number, n: number) => String.fromCharCode(...t.bytes.subarray(at(addr), at(addr) + n));
  const sum = (addr: number, n: number) =>
    t.bytes.subarray(at(addr), at(addr) + n).reduce((a, b) => a + b, 0) % 256;
  /** A table by address: its header fields (5.2.6, Table 5.4). */
  const sdt = (addr: number) => ({ signature: str(addr, 4), length: u32(addr + 4), revision: u8(addr + 8) });
  return { t, u8, u16, u32, u64, str, sum, sdt };
}

describe('RSDP (5.2.5.3)', () => {
  it('is revision 2 with both checksums, a 36-byte length and both root pointers', () => {
    const { t, u8, u32, u64, str, sum, sdt } = setup();
    const r = t.rsdpAddress;
    expect(r % 16).toBe(0);
    expect(str(r, 8)).toBe('RSD PTR ');
    expect(sum(r, 20)).toBe(0); // ACPI 1.0 checksum: first 20 bytes
    expect(sum(r, 36)).toBe(0); // extended checksum: the whole structure
    expect(u8(r + 15)).toBe(2);
    expect(u32(r + 20)).toBe(36);
    expect(sdt(u32(r + 16)).signature).toBe('RSDT');
    expect(sdt(u64(r + 24)).signature).toBe('XSDT');
  });
});

describe('every description table', () => {
  it('sums to zero, has its length and a known signature', () => {
    const { t, sum, sdt } = setup(4);
    for (const e of t.tables.filter((e) => e.signature !== 'RSD PTR ' && e.signature !== 'FACS')) {
      expect(sdt(e.address)).toMatchObject({ signature: e.signature, length: e.length });
      expect(sum(e.address, e.length)).toBe(0);
    }
  });

  it('RSDT (32-bit) and XSDT (64-bit) list the FADT and the MADT (5.2.7, 5.2.8)', () => {
    const { t, u32, u64, sdt } = setup();
    const rsdt = t.tables.find((e) => e.signature === 'RSDT')?.address ?? 0;
    const xsdt = t.tables.find((e) => e.signature === 'XSDT')?.address ?? 0;
    expect(sdt(rsdt)).toEqual({ signature: 'RSDT', length: 36 + 2 * 4, revision: 1 });
    expect(sdt(xsdt)).toEqual({ signature: 'XSDT', length: 36 + 2 * 8, revision: 1 });
    expect([sdt(u32(rsdt + 36)).signature, sdt(u32(rsdt + 40)).signature]).toEqual(['FACP', 'APIC']);
    expect([u64(xsdt + 36), u64(xsdt + 44)]).toEqual([u32(rsdt + 36), u32(rsdt + 40)]);
  });
});

describe('FADT (5.2.9, Table 5.9)', () => {
  function fadt() {
    const s = setup();
    return { ...s, f: s.t.tables.find((e) => e.signature === 'FACP')?.address ?? 0 };
  }

  it('is the 276-byte revision 6.5 table pointing at the FACS and the DSDT', () => {
    const { f, sdt, u8, u32, u64, str } = fadt();
    expect(sdt(f)).toEqual({ signature: 'FACP', length: 276, revision: 6 });
    expect(u8(f + 131)).toBe(5); // FADT Minor Version
    const facs = u32(f + 36);
    expect(u64(f + 132)).toBe(0); // X_FIRMWARE_CTRL: zero while FIRMWARE_CTRL is set (Table 5.9)
    expect(facs % 64).toBe(0); // 5.2.10: 64-byte aligned
    expect(str(facs, 4)).toBe('FACS');
    expect(u32(facs + 4)).toBe(64);
    expect(u8(facs + 32)).toBe(2); // FACS version
    const dsdt = u32(f + 40);
    expect(u64(f + 140)).toBe(dsdt); // X_DSDT
    expect(str(dsdt, 4)).toBe('DSDT');
  });

  it('describes SCI 9, the PM1a event and control blocks and the PM timer, 32-bit and X_ alike', () => {
    const { f, u8, u16, u32, u64 } = fadt();
    expect(u16(f + 46)).toBe(9); // SCI_INT
    expect(u32(f + 48)).toBe(0); // SMI_CMD: no SMM, always in ACPI mode
    expect([u32(f + 56), u8(f + 88)]).toEqual([0x600, 4]); // PM1a_EVT_BLK, PM1_EVT_LEN
    expect([u32(f + 64), u8(f + 89)]).toEqual([0x604, 2]); // PM1a_CNT_BLK, PM1_CNT_LEN
    expect([u32(f + 76), u8(f + 91)]).toEqual([0x608, 4]); // PM_TMR_BLK, PM_TMR_LEN
    // Generic Address Structures (Table 5.1): space 1 = System I/O, bit width = 8 * length.
    const gas = (o: number) => [u8(f + o), u8(f + o + 1), u8(f + o + 2), u64(f + o + 4)];
    expect(gas(148)).toEqual([1, 32, 0, 0x600]); // X_PM1a_EVT_BLK
    expect(gas(172)).toEqual([1, 16, 0, 0x604]); // X_PM1a_CNT_BLK
    expect(gas(208)).toEqual([1, 32, 0, 0x608]); // X_PM_TMR_BLK
    expect(u16(f + 96)).toBeGreaterThan(100); // P_LVL2_LAT: C2 not supported
    expect(u16(f + 98)).toBeGreaterThan(1000); // P_LVL3_LAT: C3 not supported
  });

  it('declares the reset register 0xCF9 / 0x06 and sets RESET_REG_SUP (Table 5.10 bit 10)', () => {
    const { f, u8, u32, u64 } = fadt();
    expect([u8(f + 116), u8(f + 117), u8(f + 118), u8(f + 119), u64(f + 120)]).toEqual([1, 8, 0, 1, 0xcf9]);
    expect(u8(f + 128)).toBe(0x06);
    const flags = u32(f + 112);
    expect(flags & (1 << 10)).not.toBe(0);
    expect(flags & (1 << 20)).toBe(0); // not HW_REDUCED_ACPI: the fixed PM hardware exists
    expect(flags & (1 << 8)).toBe(0); // 24-bit PM timer unless configured otherwise
  });

  it('IA-PC boot flags: legacy devices and an 8042, no VGA, no MSI (Table 5.11); RTC century 0x32', () => {
    const { f, u8, u16 } = fadt();
    expect(u16(f + 109)).toBe(0b1111);
    expect(u8(f + 108)).toBe(0x32);
  });
});

describe('MADT (5.2.12)', () => {
  function entries(cpus: number) {
    const s = setup(cpus);
    const m = s.t.tables.find((e) => e.signature === 'APIC');
    if (m === undefined) throw new Error('no MADT');
    const list: { type: number; length: number; at: number }[] = [];
    for (let at = m.address + 44; at < m.address + m.length; at += s.u8(at + 1)) {
      list.push({ type: s.u8(at), length: s.u8(at + 1), at });
    }
    return { ...s, m, list };
  }

  it('has the LAPIC address, PCAT_COMPAT, and entries that exactly fill the table', () => {
    const { m, list, u32, sdt } = entries(3);
    expect(sdt(m.address)).toMatchObject({ signature: 'APIC', revision: 6 });
    expect(u32(m.address + 36)).toBe(0xfee00000);
    expect(u32(m.address + 40)).toBe(1);
    const last = list[list.length - 1];
    expect(last.at + last.length).toBe(m.address + m.length);
  });

  it('lists one enabled Processor Local APIC per vCPU (5.2.12.2)', () => {
    const { list, u8, u32 } = entries(3);
    const lapics = list.filter((e) => e.type === 0);
    expect(lapics.map((e) => [e.length, u8(e.at + 2), u8(e.at + 3), u32(e.at + 4)])).toEqual([
      [8, 0, 0, 1],
      [8, 1, 1, 1],
      [8, 2, 2, 1],
    ]);
  });

  it('has the I/O APIC at 0xFEC00000 with GSI base 0 (5.2.12.3)', () => {
    const { list, u8, u32 } = entries(1);
    const io = list.filter((e) => e.type === 1);
    expect(io.map((e) => [e.length, u8(e.at + 2), u32(e.at + 4), u32(e.at + 8)])).toEqual([
      [12, 0, 0xfec00000, 0],
    ]);
  });

  it('overrides IRQ0 -> GSI2 (conforming) and IRQ 5, 9, 10, 11 level, active high (5.2.12.5, Table 5.26)', () => {
    const { list, u8, u16, u32 } = entries(1);
    const iso = list
      .filter((e) => e.type === 2)
      .map((e) => [e.length, u8(e.at + 2), u8(e.at + 3), u32(e.at + 4), u16(e.at + 8)]);
    const LEVEL_HIGH = (0b11 << 2) | 0b01;
    expect(iso).toEqual([
      [10, 0, 0, 2, 0],
      [10, 0, 5, 5, LEVEL_HIGH],
      [10, 0, 9, 9, LEVEL_HIGH],
      [10, 0, 10, 10, LEVEL_HIGH],
      [10, 0, 11, 11, LEVEL_HIGH],
    ]);
  });

  it('wires LINT1 as NMI on all processors (5.2.12.7)', () => {
    const { list, u8, u16 } = entries(2);
    const nmi = list.filter((e) => e.type === 4);
    expect(nmi.map((e) => [e.length, u8(e.at + 2), u16(e.at + 3), u8(e.at + 5)])).toEqual([[6, 0xff, 0, 1]]);
  });
});

describe('DSDT (5.2.11.1)', () => {
  it('is a revision 2 definition block holding only _S5 = Package { 0, 0, 0, 0 }', () => {
    const { t, sdt } = setup();
    const d = t.tables.find((e) => e.signature === 'DSDT');
    if (d === undefined) throw new Error('no DSDT');
    expect(sdt(d.address)).toEqual({ signature: 'DSDT', length: 48, revision: 2 });
    const body = [...t.bytes.subarray(d.address - BASE + 36, d.address - BASE + d.length)];
    expect(body).toEqual([0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00]);
  });
});

describe('configuration errors are host bugs', () => {
  it('rejects an unaligned RSDP address and a CPU count without APIC IDs', () => {
    expect(() => buildAcpiTables(0xe0008, { cpus: 1 })).toThrow(RangeError);
    expect(() => buildAcpiTables(BASE, { cpus: 2, apicIds: [0] })).toThrow(RangeError);
  });
});

describe('MCFG (PCI Firmware Specification 3.0, 4.1.2)', () => {
  const ecam = { base: 0xe0000000, limit: 0xf0000000, startBus: 0, endBus: 0xff };
  const platform = {
    slpTypS3: 1,
    pci: { memWindow: { base: 0xf0000000, limit: 0xfec00000 }, routes: [], ecam },
  };

  it('lists one allocation (Table 4-3) and the root tables point at it', () => {
    const t = buildAcpiTables(BASE, { cpus: 1, platform });
    const dv = new DataView(t.bytes.buffer);
    const at = (e: { address: number } | undefined) => (e?.address ?? 0) - BASE;
    const mcfg = at(t.tables.find((e) => e.signature === 'MCFG'));
    expect(String.fromCharCode(...t.bytes.subarray(mcfg, mcfg + 4))).toBe('MCFG');
    expect(dv.getUint32(mcfg + 4, true)).toBe(36 + 8 + 16); // header, reserved, one allocation
    expect(dv.getUint8(mcfg + 8)).toBe(1); // revision
    expect(t.bytes.subarray(mcfg, mcfg + 60).reduce((a, b) => a + b, 0) % 256).toBe(0);
    expect(dv.getBigUint64(mcfg + 36, true)).toBe(0n); // reserved
    expect(dv.getBigUint64(mcfg + 44, true)).toBe(0xe0000000n); // base address
    expect(dv.getUint16(mcfg + 52, true)).toBe(0); // PCI segment group
    expect([dv.getUint8(mcfg + 54), dv.getUint8(mcfg + 55)]).toEqual([0, 0xff]); // start, end bus
    const rsdt = at(t.tables.find((e) => e.signature === 'RSDT'));
    expect(dv.getUint32(rsdt + 4, true)).toBe(36 + 3 * 4);
    expect(dv.getUint32(rsdt + 44, true) - BASE).toBe(mcfg);
  });

  it('is absent without an ECAM', () => {
    const t = buildAcpiTables(BASE, { cpus: 1 });
    expect(t.tables.map((e) => e.signature)).not.toContain('MCFG');
  });
});
