// 32-bit paging (SDM Vol. 3A 4.3, 4.6, 4.7, 4.8): translation, 4 MiB pages with PSE-36,
// accessed/dirty bits, access rights and #PF error codes, checked against the manual's rules
// with page tables built here. PAE and 4-level paging: tests/unit/paging-*.test.ts.
import { describe, expect, it } from 'vitest';
import { createTestVm } from '../../tests/lib/machine.ts';
import { GuestFault } from './faults.ts';
import { Access, PfErr, Pte } from './mmu.ts';
import { Cr0, Cr4 } from './registers.ts';

const PD = 0x10000;
const PT = 0x11000;

function setup(cr4 = 0, wp = false) {
  const vm = createTestVm(8 * 1024 * 1024);
  const cpu = vm.vcpu.cpu;
  cpu.phys.refresh();
  const dv = new DataView(vm.ram.buffer, vm.ram.byteOffset);
  const put = (addr: number, v: number) => dv.setUint32(addr, v >>> 0, true);
  const get = (addr: number) => dv.getUint32(addr, true);
  const s = cpu.state;
  s.setLo('cr3', PD);
  s.setLo('cr4', cr4);
  s.setLo('cr0', Cr0.PE | Cr0.PG | (wp ? Cr0.WP : 0));
  return { cpu, put, get };
}

function pfCode(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof GuestFault && e.vector === 14) return e.errorCode;
    throw e;
  }
  return undefined;
}

describe('32-bit paging', () => {
  it('translates a 4 KiB page through PDE and PTE and sets A on both; D only on a write', () => {
    const { cpu, put, get } = setup();
    put(PD + 4 * 1, PT | Pte.P | Pte.RW | Pte.US); // 0x00400000-0x007fffff
    put(PT + 4 * 5, 0x123000 | Pte.P | Pte.RW | Pte.US); // 0x00405000
    expect(cpu.mmu.translate(0x00405abc, Access.Read, false).phys).toBe(0x123abc);
    expect(get(PD + 4) & Pte.A).toBe(Pte.A);
    expect(get(PT + 20) & (Pte.A | Pte.D)).toBe(Pte.A);
    cpu.mmu.translate(0x00405abc, Access.Write, false);
    expect(get(PT + 20) & Pte.D).toBe(Pte.D);
    expect(get(PD + 4) & Pte.D).toBe(0); // a PDE that references a page table has no dirty bit
  });

  it('maps 4 MiB pages only when CR4.PSE is set (4.3, Table 4-5)', () => {
    const { cpu, put } = setup(Cr4.PSE);
    put(PD + 4 * 2, 0x00c00000 | Pte.PS | Pte.P | Pte.RW);
    expect(cpu.mmu.translate(0x008abcde, Access.Read, false).phys).toBe(0x00cabcde);
  });

  it('PSE-36: bits 16:13 of a 4 MiB PDE are physical address bits 35:32 (Table 4-4)', () => {
    const { cpu, put } = setup(Cr4.PSE);
    put(PD + 4 * 2, 0x00c00000 | (0xa << 13) | Pte.PS | Pte.P);
    expect(cpu.mmu.translate(0x008abcde, Access.Read, false).phys).toBe(0xa_00cabcde);
  });

  it('bits 21:17 of a 4 MiB PDE are reserved (MAXPHYADDR 36): #PF with RSVD and P (4.7)', () => {
    const { cpu, put } = setup(Cr4.PSE);
    put(PD + 4 * 2, 0x00c00000 | (1 << 21) | Pte.PS | Pte.P);
    put(PD + 4 * 3, 0x00c00000 | (1 << 17) | Pte.PS | Pte.P | Pte.US);
    expect(pfCode(() => cpu.mmu.translate(0x008abcde, Access.Read, false))).toBe(PfErr.RSVD | PfErr.P);
    expect(pfCode(() => cpu.mmu.translate(0x00c00000, Access.Write, true))).toBe(PfErr.RSVD | PfErr.P | PfErr.W | PfErr.U);
  });

  it('without CR4.PSE the PS bit is ignored and the PDE points to a page table', () => {
    const { cpu, put } = setup(0);
    put(PD + 4 * 2, PT | Pte.PS | Pte.P | Pte.RW);
    put(PT + 4 * 0xab, 0x00777000 | Pte.P);
    expect(cpu.mmu.translate(0x008ab123, Access.Read, false).phys).toBe(0x00777123);
  });

  it('#PF error codes: not present, user on supervisor page, user write to read-only (4.7)', () => {
    const { cpu, put } = setup();
    put(PD, PT | Pte.P | Pte.RW | Pte.US);
    put(PT + 4 * 1, 0x5000 | Pte.P | Pte.RW); // supervisor page
    put(PT + 4 * 2, 0x6000 | Pte.P | Pte.US); // user read-only
    expect(pfCode(() => cpu.mmu.translate(0x3000, Access.Read, false))).toBe(0);
    expect(pfCode(() => cpu.mmu.translate(0x3000, Access.Write, true))).toBe(PfErr.W | PfErr.U);
    expect(pfCode(() => cpu.mmu.translate(0x1000, Access.Read, true))).toBe(PfErr.P | PfErr.U);
    expect(pfCode(() => cpu.mmu.translate(0x2000, Access.Write, true))).toBe(PfErr.P | PfErr.W | PfErr.U);
    expect(pfCode(() => cpu.mmu.translate(0x2000, Access.Read, true))).toBeUndefined();
  });

  it('supervisor writes to read-only pages succeed with CR0.WP = 0 and fault with WP = 1 (4.6)', () => {
    for (const wp of [false, true]) {
      const { cpu, put } = setup(0, wp);
      put(PD, PT | Pte.P | Pte.US);
      put(PT + 4 * 2, 0x6000 | Pte.P | Pte.US);
      expect(pfCode(() => cpu.mmu.translate(0x2000, Access.Write, false))).toBe(wp ? PfErr.P | PfErr.W : undefined);
    }
  });

  it('a user access is refused when the PDE alone lacks U/S or the PDE alone lacks R/W', () => {
    const { cpu, put } = setup();
    put(PD, PT | Pte.P | Pte.RW); // supervisor-only directory entry
    put(PT + 4 * 1, 0x5000 | Pte.P | Pte.RW | Pte.US);
    expect(pfCode(() => cpu.mmu.translate(0x1000, Access.Read, true))).toBe(PfErr.P | PfErr.U);
    put(PD + 4, PT | Pte.P | Pte.US); // read-only directory entry, writable PTE
    put(PT + 4 * 1, 0x5000 | Pte.P | Pte.RW | Pte.US);
    expect(pfCode(() => cpu.mmu.translate(0x00401000, Access.Write, true))).toBe(PfErr.P | PfErr.W | PfErr.U);
  });
});
