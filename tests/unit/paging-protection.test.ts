// SMEP, SMAP (with EFLAGS.AC and implicit supervisor accesses) and global pages (SDM Vol. 3A
// 4.6, 4.7, 4.10.2.4, 4.10.4.1), and the CR4 bits that enable them (2.5: #GP(0) unless CPUID
// enumerates the feature).
import { describe, expect, it } from 'vitest';
import { Feature } from '../../core/cpu/cpuid.ts';
import { GuestFault } from '../../core/cpu/faults.ts';
import { PfErr, Pte } from '../../core/cpu/mmu.ts';
import { Cr4, Flag, Reg, Vector } from '../../core/cpu/registers.ts';
import { writeCr4 } from '../../core/cpu/system-regs.ts';
import { enterFlat32, ExitReason } from '../lib/machine.ts';
import { Access, advertise, conceal, pageFault, pagingVm, runToException, setPaging, tlbHolds, translate, type PagingVm } from './paging-lib.ts';

const PD = 0x10000;
const PT = 0x11000;
const USER_PAGE = 0x5000;

/** 32-bit paging: PT identity-maps 0-4 MiB as supervisor pages, except USER_PAGE (U/S = 1). */
function vm32(cr4 = 0): PagingVm {
  const vm = pagingVm();
  vm.put32(PD, PT | Pte.P | Pte.RW | Pte.US);
  for (let i = 0; i < 1024; i++) vm.put32(PT + 4 * i, (i << 12) | Pte.P | Pte.RW | (i << 12 === USER_PAGE ? Pte.US : 0));
  setPaging(vm, PD, cr4);
  return vm;
}

function setAc(vm: PagingVm, on: boolean): void {
  const s = vm.vcpu.cpu.state;
  s.setLo('rflags', on ? s.getLo('rflags') | Flag.AC : s.getLo('rflags') & ~Flag.AC);
}

describe('SMEP (4.6.1)', () => {
  it('a supervisor fetch from a user-mode page faults with P | I/D; user fetches and supervisor pages are fine', () => {
    const vm = vm32(Cr4.SMEP);
    expect(pageFault(() => translate(vm, USER_PAGE, Access.Fetch))).toEqual({ code: PfErr.P | PfErr.I, cr2: USER_PAGE });
    expect(translate(vm, USER_PAGE, Access.Fetch, true)).toBe(USER_PAGE);
    expect(translate(vm, 0x6000, Access.Fetch)).toBe(0x6000);
    expect(translate(vm, USER_PAGE)).toBe(USER_PAGE); // data reads are not SMEP's business
    expect(translate(vm32(0), USER_PAGE, Access.Fetch)).toBe(USER_PAGE);
  });

  it('with SMEP even 32-bit paging reports I/D on a not-present fetch', () => {
    const vm = vm32(Cr4.SMEP);
    vm.put32(PT + 4 * 7, 0);
    expect(pageFault(() => translate(vm, 0x7000, Access.Fetch))?.code).toBe(PfErr.I);
    expect(pageFault(() => translate(vm32(0), 0x400000, Access.Fetch))?.code).toBe(0);
  });
});

describe('SMAP (4.6.1)', () => {
  it('supervisor data accesses to a user-mode page fault while EFLAGS.AC = 0 and succeed with AC = 1', () => {
    const vm = vm32(Cr4.SMAP);
    expect(pageFault(() => translate(vm, USER_PAGE))?.code).toBe(PfErr.P);
    expect(pageFault(() => translate(vm, USER_PAGE, Access.Write))?.code).toBe(PfErr.P | PfErr.W);
    setAc(vm, true);
    expect(translate(vm, USER_PAGE, Access.Write)).toBe(USER_PAGE);
    expect(translate(vm, USER_PAGE, Access.Read, true)).toBe(USER_PAGE); // user accesses are not affected
  });

  it('implicit supervisor accesses fault whatever AC: at CPL 3, or marked implicit at CPL 0', () => {
    const vm = vm32(Cr4.SMAP);
    setAc(vm, true);
    const mmu = vm.vcpu.cpu.mmu;
    expect(pageFault(() => mmu.translate(USER_PAGE, Access.Read, false, true))?.code).toBe(PfErr.P);
    vm.vcpu.cpu.state.setU32('cpl', 3);
    expect(pageFault(() => mmu.translate(USER_PAGE, Access.Read, false))?.code).toBe(PfErr.P);
  });

  it('an allowed supervisor access to a user page is not cached: the TLB cannot see AC change', () => {
    const vm = vm32(Cr4.SMAP);
    setAc(vm, true);
    expect(vm.vcpu.cpu.mmu.translate(USER_PAGE, Access.Read, false).cacheable).toBe(false);
    expect(vm.vcpu.cpu.mmu.translate(0x6000, Access.Read, false).cacheable).toBe(true);
  });

  it('in a running guest: a read allowed by AC = 1 faults again after POPF clears AC', () => {
    const vm = vm32(Cr4.SMAP);
    vm.put32(USER_PAGE, 0x5a5a5a5a);
    vm.load(0x1000, [
      0x9c, 0x81, 0x0c, 0x24, 0x00, 0x00, 0x04, 0x00, 0x9d, // pushfd; or dword [esp], AC; popfd
      0xa1, 0x00, 0x50, 0x00, 0x00, //                         mov eax, [0x5000]
      0x9c, 0x81, 0x24, 0x24, 0xff, 0xff, 0xfb, 0xff, 0x9d, // pushfd; and dword [esp], ~AC; popfd
      0x8b, 0x1d, 0x00, 0x50, 0x00, 0x00, //                   mov ebx, [0x5000]   (0x1017)
      0xf4,
    ]);
    enterFlat32(vm, 0x1000);
    expect(runToException(vm)).toEqual({ vector: Vector.PF, errorCode: PfErr.P, cr2: USER_PAGE, rip: 0x1017 });
    expect(vm.reg(Reg.RAX)).toBe(0x5a5a5a5a);
  });
});

describe('CR4.SMEP, SMAP and PGE need their CPUID feature (2.5)', () => {
  it('MOV to CR4 with SMEP or SMAP is #GP(0) until CPUID.07H:EBX enumerates them', () => {
    const vm = vm32();
    const cpu = vm.vcpu.cpu;
    conceal(vm, Feature.SMEP, Feature.SMAP);
    for (const bit of [Cr4.SMEP, Cr4.SMAP]) {
      expect(() => writeCr4(cpu, bit, 0)).toThrow(GuestFault);
      expect(cpu.state.getLo('cr4')).toBe(0);
    }
    advertise(vm, Feature.SMEP, Feature.SMAP);
    writeCr4(cpu, Cr4.SMEP | Cr4.SMAP, 0);
    expect(cpu.state.getLo('cr4')).toBe(Cr4.SMEP | Cr4.SMAP);
  });

  it('PAE and PGE are advertised and accepted', () => {
    const vm = vm32();
    writeCr4(vm.vcpu.cpu, Cr4.PGE | Cr4.PSE, 0);
    expect(vm.vcpu.cpu.state.getLo('cr4')).toBe(Cr4.PGE | Cr4.PSE);
  });
});

describe('global pages (4.10.2.4, 4.10.4.1)', () => {
  // Linear 0x20000 (G = 1) and 0x21000 (G = 0) map 0x30000 and 0x31000; the guest reads both,
  // remaps them to 0x40000 and 0x41000, reloads CR3 and reads again.
  const code = [
    0xa1, 0x00, 0x00, 0x02, 0x00, //                                        mov eax, [0x20000]
    0x8b, 0x1d, 0x00, 0x10, 0x02, 0x00, //                                  mov ebx, [0x21000]
    0xc7, 0x05, 0x80, 0x10, 0x01, 0x00, 0x03, 0x01, 0x04, 0x00, //          mov dword [PT + 0x80], 0x40103 (G)
    0xc7, 0x05, 0x84, 0x10, 0x01, 0x00, 0x03, 0x10, 0x04, 0x00, //          mov dword [PT + 0x84], 0x41003
    0x0f, 0x20, 0xd9, 0x0f, 0x22, 0xd9, //                                  mov ecx, cr3; mov cr3, ecx
    0x8b, 0x35, 0x00, 0x00, 0x02, 0x00, //                                  mov esi, [0x20000]
    0x8b, 0x3d, 0x00, 0x10, 0x02, 0x00, //                                  mov edi, [0x21000]
    0xf4,
  ];
  function globalVm(cr4: number): PagingVm {
    const vm = vm32(cr4);
    vm.put32(PT + 4 * 0x20, 0x30000 | Pte.P | Pte.RW | Pte.G);
    vm.put32(PT + 4 * 0x21, 0x31000 | Pte.P | Pte.RW);
    [0x30000, 0x31000, 0x40000, 0x41000].forEach((a, i) => vm.put32(a, 0x11111111 * (i + 1)));
    vm.load(0x1000, code);
    enterFlat32(vm, 0x1000);
    return vm;
  }

  it('with CR4.PGE, MOV to CR3 keeps the global translation and drops the other', () => {
    const vm = globalVm(Cr4.PGE);
    vm.runExpect(ExitReason.HLT);
    expect([vm.reg(Reg.RAX), vm.reg(Reg.RBX), vm.reg(Reg.RSI), vm.reg(Reg.RDI)]).toEqual([0x11111111, 0x22222222, 0x11111111, 0x44444444]);
  });

  it('without CR4.PGE the G flag is ignored: MOV to CR3 drops both', () => {
    const vm = globalVm(0);
    vm.runExpect(ExitReason.HLT);
    expect([vm.reg(Reg.RSI), vm.reg(Reg.RDI)]).toEqual([0x33333333, 0x44444444]);
  });

  it('MOV to CR3 keeps a global TLB entry that INVLPG then drops', () => {
    const vm = globalVm(Cr4.PGE);
    const cpu = vm.vcpu.cpu;
    cpu.read(0x20000, 4);
    cpu.read(0x21000, 4);
    cpu.mmu.flushNonGlobal();
    expect([tlbHolds(vm, 0x20000), tlbHolds(vm, 0x21000)]).toEqual([true, false]);
    cpu.mmu.invalidatePage(0x20000);
    expect(tlbHolds(vm, 0x20000)).toBe(false);
  });
});
