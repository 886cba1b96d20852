// The software TLB against the SDM's rules for TLBs (Vol. 3A 4.10): what survives MOV to CR3
// and what INVLPG and a CR4.PGE change drop (4.10.4.1), stale translations until then
// (4.10.4.3), self-modifying code through write entries (11.6), the cold path's own TLB
// hits, and maintenance whose cost follows what was filled rather than the TLB's size.
import { describe, expect, it } from 'vitest';
import { TLB_ENTRIES } from '../../core/cpu/layout.ts';
import { PfErr, Pte } from '../../core/cpu/mmu.ts';
import { Cr4, Efer, Flag, Reg } from '../../core/cpu/registers.ts';
import { invalidatePage } from '../../core/cpu/system-regs.ts';
import { enterFlat32, ExitReason } from '../lib/machine.ts';
import { pageFault, pagingVm, setPaging, type PagingVm } from './paging-lib.ts';

const PD = 0x10000;
/** Page tables of PD entries 0, 1 and 2 (linear 0-4 MiB, 4-8 MiB, 8-12 MiB). */
const PT = [0x11000, 0x12000, 0x13000];
const RW = Pte.P | Pte.RW;

/** 32-bit paging, linear 0-8 MiB identity-mapped with 4 KiB supervisor pages (PDEs allow user access); 8 MiB of RAM. */
function paged32(cr4 = 0): PagingVm {
  const vm = pagingVm();
  for (let t = 0; t < 2; t++) {
    vm.put32(PD + 4 * t, PT[t] | RW | Pte.US);
    for (let i = 0; i < 1024; i++) vm.put32(PT[t] + 4 * i, (t << 22) | (i << 12) | RW);
  }
  setPaging(vm, PD, cr4);
  return vm;
}

describe('stale translations and their invalidation (SDM Vol. 3A 4.10.4)', () => {
  it('the guest keeps reading the old page after a PTE change until INVLPG', () => {
    const vm = paged32();
    vm.put32(PT[1], 0x300000 | RW); // linear 0x400000 -> 0x300000
    vm.put32(0x300000, 0x11111111);
    vm.put32(0x301000, 0x22222222);
    // mov eax, [0x400000]; mov dword [PT[1]], 0x301003; mov ebx, [0x400000]; invlpg [0x400000]; mov ecx, [0x400000]; hlt
    vm.load(0x1000, [
      0xa1, 0x00, 0x00, 0x40, 0x00, 0xc7, 0x05, 0x00, 0x20, 0x01, 0x00, 0x03, 0x10, 0x30, 0x00, 0x8b, 0x1d, 0x00, 0x00, 0x40, 0x00,
      0x0f, 0x01, 0x3d, 0x00, 0x00, 0x40, 0x00, 0x8b, 0x0d, 0x00, 0x00, 0x40, 0x00, 0xf4,
    ]);
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect([vm.reg(Reg.RAX), vm.reg(Reg.RBX), vm.reg(Reg.RCX)]).toEqual([0x11111111, 0x11111111, 0x22222222]);
  });

  it('MOV to CR3 keeps a G = 1 translation under CR4.PGE and drops a G = 0 one; toggling CR4.PGE drops both', () => {
    const vm = paged32(Cr4.PGE);
    vm.put32(PT[1], 0x300000 | RW | Pte.G);
    vm.put32(PT[1] + 4, 0x301000 | RW);
    [0x300000, 0x301000, 0x302000, 0x303000].forEach((a, i) => vm.put32(a, 0x11111111 * (i + 1)));
    // mov eax, [0x400000]; mov ebx, [0x401000]; remap both (0x302103 keeps G, 0x303003);
    // mov ecx, cr3; mov cr3, ecx; mov esi, [0x400000]; mov edi, [0x401000];
    // mov ecx, cr4; xor ecx, PGE; mov cr4, ecx; xor ecx, PGE; mov cr4, ecx; mov ebp, [0x400000]; hlt
    vm.load(0x1000, [
      0xa1, 0x00, 0x00, 0x40, 0x00, 0x8b, 0x1d, 0x00, 0x10, 0x40, 0x00, 0xc7, 0x05, 0x00, 0x20, 0x01, 0x00, 0x03, 0x21, 0x30, 0x00,
      0xc7, 0x05, 0x04, 0x20, 0x01, 0x00, 0x03, 0x30, 0x30, 0x00, 0x0f, 0x20, 0xd9, 0x0f, 0x22, 0xd9, 0x8b, 0x35, 0x00, 0x00, 0x40,
      0x00, 0x8b, 0x3d, 0x00, 0x10, 0x40, 0x00, 0x0f, 0x20, 0xe1, 0x81, 0xf1, 0x80, 0x00, 0x00, 0x00, 0x0f, 0x22, 0xe1, 0x81, 0xf1,
      0x80, 0x00, 0x00, 0x00, 0x0f, 0x22, 0xe1, 0x8b, 0x2d, 0x00, 0x00, 0x40, 0x00, 0xf4,
    ]);
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect([Reg.RAX, Reg.RBX, Reg.RSI, Reg.RDI, Reg.RBP].map((r) => vm.reg(r))).toEqual([0x11111111, 0x22222222, 0x11111111, 0x44444444, 0x33333333]);
  });

  it('the cold path reads through the TLB too: the old page until INVLPG, without walking', () => {
    const vm = paged32();
    const cpu = vm.vcpu.cpu;
    vm.put32(0x300000, 0x11111111);
    vm.put32(0x301000, 0x22222222);
    vm.put32(PT[1], 0x300000 | RW);
    expect(cpu.read(0x400000, 4)).toBe(0x11111111);
    const misses = cpu.state.get64('statTlbMisses');
    vm.put32(PT[1], 0x301000 | RW);
    expect(cpu.readSystem(0x400000, 4)).toBe(0x11111111);
    expect(cpu.state.get64('statTlbMisses')).toBe(misses);
    invalidatePage(cpu, 0x400000);
    expect(cpu.read(0x400000, 4)).toBe(0x22222222);
  });
});

describe('INVLPG drops the whole large page, from any 4 KiB piece (SDM Vol. 2A INVLPG, Vol. 3A 4.10.2.3)', () => {
  /**
   * Reads two pieces of the large page at `base`, makes its entry (at `entry`) not present,
   * checks the pieces still read from the TLB, INVLPGs a third piece and expects #PF on both.
   */
  function dropsWholePage(vm: PagingVm, entry: number, base: number, pieces: [number, number, number]): void {
    const cpu = vm.vcpu.cpu;
    const [a, b, other] = pieces.map((p) => base + p);
    cpu.write(a, 4, 0xaaaa5555);
    expect(cpu.read(b, 4)).toBe(0);
    vm.put32(entry, 0);
    expect([cpu.read(a, 4), cpu.read(b, 4)]).toEqual([0xaaaa5555, 0]);
    invalidatePage(cpu, other);
    expect([pageFault(() => cpu.read(a, 4)), pageFault(() => cpu.read(b, 4))]).toEqual([
      { code: 0, cr2: a },
      { code: 0, cr2: b },
    ]);
  }

  it('a 4 MiB page under 32-bit paging with CR4.PSE (4.3)', () => {
    const vm = paged32(Cr4.PSE);
    vm.put32(PD + 4, 0x400000 | RW | Pte.PS);
    dropsWholePage(vm, PD + 4, 0x400000, [0x1000, 0x3ff000, 0x255000]);
  });

  it('a 2 MiB page under PAE paging (4.4)', () => {
    const vm = pagingVm();
    const pdpt = 0x10000;
    const pd = 0x11000;
    vm.put64(pdpt, pd | Pte.P);
    vm.put64(pd, 0 | RW | Pte.PS); // linear 0-2 MiB: the PAE tables themselves
    vm.put64(pd + 8 * 2, 0x400000 | RW | Pte.PS); // linear 4-6 MiB -> 4-6 MiB
    setPaging(vm, pdpt, Cr4.PAE);
    dropsWholePage(vm, pd + 8 * 2, 0x400000, [0x3000, 0x1ff000, 0x100000]);
  });

  it('a 1 GiB page under 4-level paging (4.5)', () => {
    const vm = pagingVm();
    const pml4 = 0x10000;
    const pdpt = 0x11000;
    vm.put64(pml4, pdpt | RW);
    vm.put64(pdpt + 8, 0 | RW | Pte.PS); // linear 1-2 GiB -> physical 0-1 GiB (RAM in its first 8 MiB)
    setPaging(vm, pml4, Cr4.PAE, Efer.LME | Efer.LMA);
    dropsWholePage(vm, pdpt + 8, 0x4000_0000, [0x40_0000, 0x70_0000, 0x3000_0000]);
  });
});

describe('self-modifying code through the write entries (SDM Vol. 3A 11.6)', () => {
  it('stores through two aliases of a code page still modify the code after the TLB filled thousands of pages', () => {
    const vm = paged32();
    vm.put32(PD + 8, PT[2] | RW);
    vm.put32(PT[2] + 4 * 0x100, 0x3000 | RW); // linear 0x900000 aliases the code page 0x3000
    vm.load(0x3000, [0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3]); // mov eax, 1; ret
    // Store to every page of 1-8 MiB (1,792 pages), then write the immediate through both
    // aliases (filling their write entries), call 0x3000 (it becomes code), and store 2 through
    // the alias and 3 through the identity mapping, calling it after each:
    //   mov edi, 0x100000; .l: mov [edi], eax; add edi, 4096; cmp edi, 0x800000; jb .l
    //   mov dword [0x900001], 1; mov dword [0x3001], 1; call 0x3000; mov ebx, eax
    //   mov dword [0x900001], 2; call 0x3000; mov ecx, eax
    //   mov dword [0x3001], 3; call 0x3000; mov edx, eax; hlt
    vm.load(0x1000, [
      0xbf, 0x00, 0x00, 0x10, 0x00, 0x89, 0x07, 0x81, 0xc7, 0x00, 0x10, 0x00, 0x00, 0x81, 0xff, 0x00, 0x00, 0x80, 0x00, 0x72, 0xf0,
      0xc7, 0x05, 0x01, 0x00, 0x90, 0x00, 0x01, 0x00, 0x00, 0x00, 0xc7, 0x05, 0x01, 0x30, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xe8,
      0xd2, 0x1f, 0x00, 0x00, 0x89, 0xc3, 0xc7, 0x05, 0x01, 0x00, 0x90, 0x00, 0x02, 0x00, 0x00, 0x00, 0xe8, 0xc1, 0x1f, 0x00, 0x00,
      0x89, 0xc1, 0xc7, 0x05, 0x01, 0x30, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0xe8, 0xb0, 0x1f, 0x00, 0x00, 0x89, 0xc2, 0xf4,
    ]);
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect([vm.reg(Reg.RBX), vm.reg(Reg.RCX), vm.reg(Reg.RDX)]).toEqual([1, 2, 3]);
  });
});

describe('SMAP and the cold path TLB hits (SDM Vol. 3A 4.6)', () => {
  it('an explicit supervisor read of a user page with EFLAGS.AC = 1 is not cached: an implicit read then faults', () => {
    const vm = paged32(Cr4.SMAP);
    const cpu = vm.vcpu.cpu;
    vm.put32(PT[0] + 4 * 5, 0x5000 | RW | Pte.US);
    vm.put32(0x5000, 0x12345678);
    cpu.state.setLo('rflags', cpu.state.getLo('rflags') | Flag.AC);
    expect(cpu.read(0x5000, 4)).toBe(0x12345678);
    expect(pageFault(() => cpu.readSystem(0x5000, 4))).toEqual({ code: PfErr.P, cr2: 0x5000 });
  });
});

describe('TLB maintenance costs what was filled', () => {
  it('a flush or a MOV to CR3 visits the entries of the pages touched, not all TLB_ENTRIES', () => {
    const vm = paged32();
    const { cpu } = vm.vcpu;
    const mmu = cpu.mmu;
    const cost = (pages: number, flush: () => void): number => {
      for (let i = 0; i < pages; i++) cpu.write(0x100000 + i * 4096, 4, i); // one read and one write entry each
      const before = mmu.visited;
      flush();
      return mmu.visited - before;
    };
    expect(cost(16, () => mmu.flush())).toBe(32);
    expect(cost(1024, () => mmu.flush())).toBe(2048);
    expect(cost(16, () => mmu.flushNonGlobal())).toBe(32);
    expect(cost(1024, () => mmu.flushNonGlobal())).toBe(2048);
    expect(2048).toBeLessThan(2 * TLB_ENTRIES);
  });

  it('MOV to CR3 visits only the non-global entries filled since the last one, not the global entries it keeps', () => {
    const vm = paged32(Cr4.PGE);
    const { cpu } = vm.vcpu;
    const mmu = cpu.mmu;
    for (let i = 0; i < 512; i++) vm.put32(PT[0] + 4 * (0x100 + i), (0x100000 + i * 4096) | RW | Pte.G);
    for (let i = 0; i < 512; i++) cpu.write(0x100000 + i * 4096, 4, i);
    for (let i = 0; i < 4; i++) cpu.write(0x400000 + i * 4096, 4, i);
    let before = mmu.visited;
    mmu.flushNonGlobal();
    expect(mmu.visited - before).toBe(8);
    before = mmu.visited;
    mmu.flushNonGlobal();
    expect(mmu.visited - before).toBe(0);
    expect(cpu.read(0x100000 + 511 * 4096, 4)).toBe(511);
    expect(mmu.lookup(0x100000 + 511 * 4096, false, true)).toBeGreaterThanOrEqual(0);
  });

  it('INVLPG visits the pieces filled from its large page; protectPage the write entries of its physical page', () => {
    const vm = paged32(Cr4.PSE);
    const { cpu } = vm.vcpu;
    const mmu = cpu.mmu;
    vm.put32(PD + 4, 0x400000 | RW | Pte.PS);
    for (let i = 0; i < 8; i++) cpu.read(0x400000 + i * 4096, 4); // 8 read entries of one 4 MiB page
    for (let i = 0; i < 100; i++) cpu.write(0x100000 + i * 4096, 4, 0); // 4 KiB pages elsewhere
    let before = mmu.visited;
    invalidatePage(cpu, 0x7ff000);
    expect(mmu.visited - before).toBe(2 + 8); // the two entries of its own index, then the group
    before = mmu.visited;
    mmu.protectPage(0x105);
    expect(mmu.visited - before).toBe(1);
    expect(cpu.read(0x105000, 4)).toBe(0); // the read entry stays
    expect(mmu.lookup(0x105000, false, true)).toBe(-1);
    expect(mmu.lookup(0x105000, false, false)).toBeGreaterThanOrEqual(0);
  });

  it('a user access never hits an entry filled for a supervisor access (tags carry TLB_USER)', () => {
    const vm = paged32();
    const cpu = vm.vcpu.cpu;
    vm.put32(PT[0] + 4 * 6, 0x6000 | Pte.P); // supervisor, read-only; CR0.WP = 0 lets supervisor writes through
    cpu.write(0x6000, 4, 7, false);
    expect(cpu.read(0x6000, 4, false)).toBe(7);
    expect(pageFault(() => cpu.read(0x6000, 4, true))).toEqual({ code: PfErr.P | PfErr.U, cr2: 0x6000 });
    expect(pageFault(() => cpu.write(0x6000, 4, 8, true))).toEqual({ code: PfErr.P | PfErr.W | PfErr.U, cr2: 0x6000 });
  });
});
