// STAC/CLAC and SMAP with EFLAGS.AC (SDM Vol. 3A 4.6, Vol. 2A CLAC, Vol. 2B STAC), UMIP
// (Vol. 3A 2.5: SGDT SIDT SLDT SMSW STR at CPL > 0 raise #GP(0)), the CR4 bits that need
// their CPUID feature (2.5, Vol. 2B MOV CR: a reserved bit is #GP(0)) and the CPUID bits
// that enumerate them (Vol. 2A CPUID, Table 3-8: leaf 7 EBX bits 7, 10, 20; ECX bits 2, 3, 31;
// leaf 1 ECX bit 17).
import { describe, expect, it } from 'vitest';
import { Feature } from '../../core/cpu/cpuid.ts';
import { GuestFault } from '../../core/cpu/faults.ts';
import { PfErr, Pte } from '../../core/cpu/mmu.ts';
import { Cr4, Flag, Reg, Vector } from '../../core/cpu/registers.ts';
import { writeCr4 } from '../../core/cpu/system-regs.ts';
import { enterFlat32, enterRealMode, ExitReason } from '../lib/machine.ts';
import { conceal, pagingVm, runToException, setPaging, type PagingVm } from './paging-lib.ts';
import { enterRing3, MMIO_EXIT, runToFault } from './system-lib.ts';

const PD = 0x10000;
const PT = 0x11000;
const USER_PAGE = 0x5000;
const STAC = [0x0f, 0x01, 0xcb];
const CLAC = [0x0f, 0x01, 0xca];

/** 32-bit paging: 0-4 MiB identity-mapped as supervisor pages, except USER_PAGE (U/S = 1). */
function vm32(cr4 = 0): PagingVm {
  const vm = pagingVm();
  vm.put32(PD, PT | Pte.P | Pte.RW | Pte.US);
  for (let i = 0; i < 1024; i++) vm.put32(PT + 4 * i, (i << 12) | Pte.P | Pte.RW | (i << 12 === USER_PAGE ? Pte.US : 0));
  setPaging(vm, PD, cr4);
  return vm;
}

describe('STAC and CLAC', () => {
  it('STAC lets a CPL 0 read reach a user page under SMAP; after CLAC the same read faults with P', () => {
    const vm = vm32(Cr4.SMAP);
    vm.put32(USER_PAGE, 0x12345678);
    vm.load(0x1000, [
      ...STAC, //                           0x1000
      0xa1, 0x00, 0x50, 0x00, 0x00, //      0x1003 mov eax, [0x5000]
      ...CLAC, //                           0x1008
      0x8b, 0x1d, 0x00, 0x50, 0x00, 0x00, // 0x100b mov ebx, [0x5000]
      0xf4,
    ]);
    enterFlat32(vm, 0x1000);
    expect(runToException(vm)).toEqual({ vector: Vector.PF, errorCode: PfErr.P, cr2: USER_PAGE, rip: 0x100b });
    expect(vm.reg(Reg.RAX)).toBe(0x12345678);
    expect(vm.flags() & Flag.AC).toBe(0);
  });

  it('AC does not open user pages to implicit supervisor accesses: a GDT on a user page faults at CPL 0 after STAC', () => {
    const vm = vm32(Cr4.SMAP);
    const s = vm.vcpu.cpu.state;
    s.setNum('gdtrBase', USER_PAGE);
    s.setU32('gdtrLimit', 0x17);
    vm.put32(USER_PAGE + 0x10, 0x0000ffff);
    vm.put32(USER_PAGE + 0x14, 0x00cf9300); // flat writable data, accessed
    vm.load(0x1000, [...STAC, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0xf4]); // stac; mov ax, 0x10; mov ds, ax; hlt
    enterFlat32(vm, 0x1000);
    expect(runToException(vm)).toEqual({ vector: Vector.PF, errorCode: PfErr.P, cr2: USER_PAGE + 0x10, rip: 0x1007 });
    const noSmap = vm32();
    const t = noSmap.vcpu.cpu.state;
    t.setNum('gdtrBase', USER_PAGE);
    t.setU32('gdtrLimit', 0x17);
    noSmap.put32(USER_PAGE + 0x10, 0x0000ffff);
    noSmap.put32(USER_PAGE + 0x14, 0x00cf9300);
    noSmap.load(0x1000, [...STAC, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0xf4]);
    enterFlat32(noSmap, 0x1000);
    noSmap.runExpect(ExitReason.HLT);
  });

  it('STAC sets AC and CLAC clears it, also in real mode (CPL 0)', () => {
    const vm = pagingVm();
    vm.load(0x1000, [...STAC, 0xf4, ...CLAC, 0xf4]);
    enterRealMode(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect(vm.flags() & Flag.AC).toBe(Flag.AC);
    vm.runExpect(ExitReason.HLT);
    expect(vm.flags() & Flag.AC).toBe(0);
  });

  it('is #UD at CPL 3 and when CPUID does not enumerate SMAP', () => {
    const ring3 = pagingVm();
    ring3.load(0x1000, CLAC);
    enterFlat32(ring3, 0x1000);
    enterRing3(ring3);
    expect(runToFault(ring3)).toEqual({ vector: Vector.UD, errorCode: 0, rip: 0x1000 });

    const noSmap = pagingVm();
    conceal(noSmap, Feature.SMAP);
    noSmap.load(0x1000, STAC);
    enterFlat32(noSmap, 0x1000);
    expect(runToFault(noSmap)).toEqual({ vector: Vector.UD, errorCode: 0, rip: 0x1000 });
  });
});

describe('UMIP (2.5)', () => {
  const STORES: [string, number[]][] = [
    ['SGDT [0x3000]', [0x0f, 0x01, 0x05, 0x00, 0x30, 0x00, 0x00]],
    ['SIDT [0x3000]', [0x0f, 0x01, 0x0d, 0x00, 0x30, 0x00, 0x00]],
    ['SLDT [0x3000]', [0x0f, 0x00, 0x05, 0x00, 0x30, 0x00, 0x00]],
    ['STR [0x3000]', [0x0f, 0x00, 0x0d, 0x00, 0x30, 0x00, 0x00]],
    ['SMSW [0x3000]', [0x0f, 0x01, 0x25, 0x00, 0x30, 0x00, 0x00]],
    ['SMSW EAX', [0x0f, 0x01, 0xe0]],
  ];

  for (const [name, code] of STORES) {
    it(`${name} at CPL 3 with CR4.UMIP is #GP(0) and stores nothing`, () => {
      const vm = pagingVm();
      writeCr4(vm.vcpu.cpu, Cr4.UMIP, 0);
      vm.put32(0x3000, 0xa5a5a5a5);
      vm.setReg(Reg.RAX, 0x5a5a5a5a);
      vm.load(0x1000, code);
      enterFlat32(vm, 0x1000);
      enterRing3(vm);
      expect(runToFault(vm)).toEqual({ vector: Vector.GP, errorCode: 0, rip: 0x1000 });
      expect([vm.get32(0x3000), vm.reg(Reg.RAX)]).toEqual([0xa5a5a5a5, 0x5a5a5a5a]);
    });
  }

  it('without CR4.UMIP, SGDT at CPL 3 stores GDTR; with it, CPL 0 still may', () => {
    const user = pagingVm();
    user.vcpu.cpu.state.setU32('gdtrLimit', 0x37);
    user.load(0x1000, [0x0f, 0x01, 0x05, 0x00, 0x30, 0x00, 0x00, ...MMIO_EXIT]);
    enterFlat32(user, 0x1000);
    enterRing3(user);
    user.runExpect(ExitReason.MMIO);
    expect(user.get32(0x3000) & 0xffff).toBe(0x37);

    const kernel = vm32();
    writeCr4(kernel.vcpu.cpu, Cr4.UMIP, 0);
    kernel.vcpu.cpu.state.setU32('idtrLimit', 0x7ff);
    kernel.load(0x1000, [0x0f, 0x01, 0x0d, 0x00, 0x30, 0x00, 0x00, 0xf4]);
    enterFlat32(kernel, 0x1000);
    kernel.runExpect(ExitReason.HLT);
    expect(kernel.get32(0x3000) & 0xffff).toBe(0x7ff);
  });

  it('SLDT in real mode is #UD (it is not recognized there)', () => {
    const vm = pagingVm();
    vm.load(0x1000, [0x0f, 0x00, 0xc0]);
    enterRealMode(vm, 0x1000);
    expect(runToFault(vm)).toEqual({ vector: Vector.UD, errorCode: 0, rip: 0x1000 });
  });
});

describe('CR4 bits need their CPUID feature (2.5, MOV CR #GP(0))', () => {
  it('UMIP, PCIDE, PKE and PKS are #GP(0) when CPUID does not enumerate them', () => {
    const vm = vm32();
    conceal(vm, Feature.UMIP, Feature.PCID, Feature.PKU, Feature.PKS, Feature.SMEP, Feature.SMAP);
    for (const bit of [Cr4.UMIP, Cr4.PKE, Cr4.PKS, Cr4.SMEP, Cr4.SMAP]) {
      expect(() => writeCr4(vm.vcpu.cpu, bit, 0)).toThrow(GuestFault);
      expect(vm.vcpu.cpu.state.getLo('cr4')).toBe(0);
    }
  });

  it('MOV CR4 with a reserved bit (bit 25) in a running guest is #GP(0) at the MOV', () => {
    const vm = vm32();
    vm.load(0x1000, [0xb8, 0x00, 0x00, 0x00, 0x02, 0x0f, 0x22, 0xe0, 0xf4]); // mov eax, 1 << 25; mov cr4, eax
    enterFlat32(vm, 0x1000);
    expect(runToFault(vm)).toEqual({ vector: Vector.GP, errorCode: 0, rip: 0x1005 });
  });
});

describe('CPUID enumerates what is implemented', () => {
  it('leaf 7: SMEP (EBX 7), INVPCID (EBX 10), SMAP (EBX 20), UMIP (ECX 2), PKU (ECX 3), PKS (ECX 31); leaf 1: PCID (ECX 17)', () => {
    const vm = vm32();
    const [, ebx, ecx] = vm.vcpu.cpuid.query(7, 0);
    expect([(ebx >>> 7) & 1, (ebx >>> 10) & 1, (ebx >>> 20) & 1]).toEqual([1, 1, 1]);
    expect([(ecx >>> 2) & 1, (ecx >>> 3) & 1, ecx >>> 31]).toEqual([1, 1, 1]);
    expect((vm.vcpu.cpuid.query(1, 0)[2] >>> 17) & 1).toBe(1);
  });

  it('CPUID.(7, 0):ECX.OSPKE (bit 4) follows CR4.PKE', () => {
    const vm = vm32();
    const code = [0xb8, 0x07, 0x00, 0x00, 0x00, 0x31, 0xc9, 0x0f, 0xa2, 0xf4]; // mov eax, 7; xor ecx, ecx; cpuid
    vm.load(0x1000, code);
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect((vm.reg(Reg.RCX) >>> 4) & 1).toBe(0);
    vm.vcpu.cpu.state.setLo('cr4', Cr4.PKE);
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect((vm.reg(Reg.RCX) >>> 4) & 1).toBe(1);
  });
});
