// Protection keys (SDM Vol. 3A 4.6.2): the key in bits 62:59 of the leaf entry, PKRU for
// user-mode pages under CR4.PKE, IA32_PKRS (MSR 6E1H) for supervisor-mode pages under CR4.PKS;
// AD forbids data accesses, WD user writes and supervisor writes with CR0.WP; the PK bit
// (bit 5) of the #PF error code (4.7); RDPKRU and WRPKRU (Vol. 2B).
import { describe, expect, it } from 'vitest';
import { PfErr, Pte } from '../../core/cpu/mmu.ts';
import { Cr0, Cr4, Reg, Vector } from '../../core/cpu/registers.ts';
import { ExitReason } from '../lib/machine.ts';
import { Access, enterLongMode, pageFault, pagingVm, runToException, translate, type PagingVm } from './paging-lib.ts';
import { runToFault } from './system-lib.ts';

const PML4 = 0x10000;
const PDPT = 0x11000;
const PD = 0x12000;
const PT = 0x13000;
const URW = Pte.P | Pte.RW | Pte.US;
/** User page with key 1 at 0x200000; supervisor page with key 1 at 0x201000; user page with key 0 at 0x202000. */
const USER_KEY1 = 0x200000;
const SUPER_KEY1 = 0x201000;
const USER_KEY0 = 0x202000;
/** Key 1 in the high half of an entry: bits 62:59 are bits 30:27 of the high half. */
const KEY1 = 1 << 27;
/** PKRU / PKRS bits of key 1: AD is bit 2, WD bit 3. */
const AD1 = 1 << 2;
const WD1 = 1 << 3;
const IA32_PKRS = 0x6e1;

function pkuVm(cr4Extra: number, cr0Extra: number = Cr0.WP): PagingVm {
  const vm = pagingVm();
  vm.setReg(Reg.RDX, 0); // EDX holds the processor signature after reset
  vm.put64(PML4, PDPT | URW);
  vm.put64(PDPT, PD | URW);
  vm.put64(PD, Pte.PS | URW);
  vm.put64(PD + 8, PT | URW);
  vm.put64(PT, 0x300000 | URW, KEY1);
  vm.put64(PT + 8, 0x301000 | Pte.P | Pte.RW, KEY1);
  vm.put64(PT + 16, 0x302000 | URW);
  enterLongMode(vm, PML4, 0x1000, cr4Extra);
  const s = vm.vcpu.cpu.state;
  s.setLo('cr0', s.getLo('cr0') | cr0Extra);
  return vm;
}

const setPkru = (vm: PagingVm, v: number): void => vm.vcpu.cpu.state.setU32('pkru', v);

describe('PKRU on user-mode pages (CR4.PKE)', () => {
  it('AD forbids user and supervisor reads with P | PK (and U for the user access)', () => {
    const vm = pkuVm(Cr4.PKE);
    setPkru(vm, AD1);
    expect(pageFault(() => translate(vm, USER_KEY1, Access.Read, true))?.code).toBe(PfErr.P | PfErr.U | PfErr.PK);
    expect(pageFault(() => translate(vm, USER_KEY1))?.code).toBe(PfErr.P | PfErr.PK);
    expect(translate(vm, USER_KEY0, Access.Read, true)).toBe(0x302000);
  });

  it('WD allows reads and forbids user writes, and supervisor writes only with CR0.WP = 1', () => {
    const vm = pkuVm(Cr4.PKE);
    setPkru(vm, WD1);
    expect(translate(vm, USER_KEY1, Access.Read, true)).toBe(0x300000);
    expect(pageFault(() => translate(vm, USER_KEY1, Access.Write, true))?.code).toBe(PfErr.P | PfErr.W | PfErr.U | PfErr.PK);
    expect(pageFault(() => translate(vm, USER_KEY1, Access.Write))?.code).toBe(PfErr.P | PfErr.W | PfErr.PK);
    const noWp = pkuVm(Cr4.PKE, 0);
    setPkru(noWp, WD1);
    expect(translate(noWp, USER_KEY1, Access.Write)).toBe(0x300000);
  });

  it('does not apply to fetches, to supervisor pages, nor without CR4.PKE', () => {
    const vm = pkuVm(Cr4.PKE);
    setPkru(vm, AD1);
    expect(translate(vm, USER_KEY1, Access.Fetch, true)).toBe(0x300000);
    expect(translate(vm, SUPER_KEY1)).toBe(0x301000);
    const off = pkuVm(0);
    setPkru(off, AD1);
    expect(translate(off, USER_KEY1, Access.Read, true)).toBe(0x300000);
  });

  it('PK reports the key whatever the paging rights: a user write to a read-only page (SDM Vol. 3A 4.7)', () => {
    // 4.7 sets PK when the key denies the access, with no condition on the paging rights;
    // kvm-unit-tests access.c (ac_test_permissions) expects the same.
    const vm = pkuVm(Cr4.PKE);
    vm.put64(PT, 0x300000 | Pte.P | Pte.US, KEY1);
    setPkru(vm, WD1);
    expect(pageFault(() => translate(vm, USER_KEY1, Access.Write, true))?.code).toBe(PfErr.P | PfErr.W | PfErr.U | PfErr.PK);
    setPkru(vm, AD1);
    expect(pageFault(() => translate(vm, USER_KEY1, Access.Write, true))?.code).toBe(PfErr.P | PfErr.W | PfErr.U | PfErr.PK);
    setPkru(vm, 0);
    expect(pageFault(() => translate(vm, USER_KEY1, Access.Write, true))?.code).toBe(PfErr.P | PfErr.W | PfErr.U);
  });

  it('the same for a supervisor write to a read-only user page with CR0.WP = 1: P | W | PK', () => {
    const vm = pkuVm(Cr4.PKE);
    vm.put64(PT, 0x300000 | Pte.P | Pte.US, KEY1);
    setPkru(vm, WD1);
    // Supervisor write, CR0.WP = 1: the paging rights deny it and WD1 does too (4.6.2: WD applies to supervisor writes when CR0.WP = 1).
    expect(pageFault(() => translate(vm, USER_KEY1, Access.Write))?.code).toBe(PfErr.P | PfErr.W | PfErr.PK);
  });
});

describe('IA32_PKRS on supervisor-mode pages (CR4.PKS)', () => {
  it('AD forbids supervisor reads; a WRMSR that sets it takes effect on a page the TLB holds', () => {
    const vm = pkuVm(Cr4.PKS);
    const cpu = vm.vcpu.cpu;
    expect(cpu.read(SUPER_KEY1, 4)).toBe(0);
    expect(cpu.env.msrs.set(IA32_PKRS, BigInt(AD1), false)).toBe(true);
    expect(pageFault(() => cpu.read(SUPER_KEY1, 4))?.code).toBe(PfErr.P | PfErr.PK);
    expect(cpu.env.msrs.set(IA32_PKRS, 1n << 32n, false)).toBe(false); // bits 63:32 reserved
  });

  it('WD forbids supervisor writes with CR0.WP; PKRS does not govern user-mode pages', () => {
    const vm = pkuVm(Cr4.PKS);
    vm.vcpu.cpu.env.msrs.set(IA32_PKRS, BigInt(WD1 | AD1 << 2), false);
    expect(pageFault(() => translate(vm, SUPER_KEY1, Access.Write))?.code).toBe(PfErr.P | PfErr.W | PfErr.PK);
    expect(translate(vm, USER_KEY1, Access.Write)).toBe(0x300000);
  });
});

describe('RDPKRU and WRPKRU', () => {
  const WRPKRU = [0x0f, 0x01, 0xef];
  const RDPKRU = [0x0f, 0x01, 0xee];

  it('WRPKRU loads EAX into PKRU and RDPKRU returns it in EAX with EDX = 0', () => {
    const vm = pkuVm(Cr4.PKE);
    vm.load(0x1000, [...WRPKRU, 0x31, 0xc0, 0xba, 0xff, 0xff, 0xff, 0xff, ...RDPKRU, 0xf4]); // wrpkru; xor eax, eax; mov edx, -1; rdpkru; hlt
    vm.setReg(Reg.RAX, 0x5555_0004);
    vm.runExpect(ExitReason.HLT);
    expect([vm.reg(Reg.RAX), vm.reg(Reg.RDX)]).toEqual([0x5555_0004, 0]);
  });

  it('WRPKRU takes effect on a page the TLB holds: a read before it succeeds, after it faults with PK', () => {
    const vm = pkuVm(Cr4.PKE);
    vm.load(0x1000, [
      0x8b, 0x1c, 0x25, 0x00, 0x00, 0x20, 0x00, // mov ebx, [0x200000]
      ...WRPKRU, //                                 (0x1007)
      0x8b, 0x0c, 0x25, 0x00, 0x00, 0x20, 0x00, // mov ecx, [0x200000] (0x100a)
      0xf4,
    ]);
    vm.setReg(Reg.RAX, AD1);
    expect(runToException(vm)).toEqual({ vector: Vector.PF, errorCode: PfErr.P | PfErr.PK, cr2: USER_KEY1, rip: 0x100a });
  });

  it('#UD without CR4.PKE; #GP(0) when ECX (or, for WRPKRU, EDX) is not 0', () => {
    const cases: [number, number[], number, number, number][] = [
      [0, RDPKRU, 0, 0, Vector.UD],
      [0, WRPKRU, 0, 0, Vector.UD],
      [Cr4.PKE, RDPKRU, 1, 0, Vector.GP],
      [Cr4.PKE, WRPKRU, 1, 0, Vector.GP],
      [Cr4.PKE, WRPKRU, 0, 1, Vector.GP],
    ];
    for (const [cr4, code, ecx, edx, vector] of cases) {
      const vm = pkuVm(cr4);
      vm.load(0x1000, code);
      vm.setReg(Reg.RCX, ecx);
      vm.setReg(Reg.RDX, edx);
      expect(runToFault(vm)).toMatchObject({ vector, rip: 0x1000 });
    }
  });
});
