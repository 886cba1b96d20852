// MOV CR / MOV DR, LMSW, SMSW, CLTS and INVLPG against the SDM (Vol. 2B MOV CR, MOV DR,
// Vol. 2A LMSW, SMSW, INVLPG, Vol. 3A 2.5 and 18.2).
import { describe, expect, it } from 'vitest';
import { Vector } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, enterRealMode, ExitReason, type TestVm } from '../lib/machine.ts';
import { enterRing3, readU32, runToFault, setIvt, writeU32 } from './system-lib.ts';

const CODE = 0x1000;
const RESET_CR0 = 0x60000010; // CD NW ET (SDM Vol. 3A Table 10-1)

function flat32(code: number[], ram?: number): TestVm {
  const vm = createTestVm(ram);
  vm.load(CODE, code);
  enterFlat32(vm, CODE);
  return vm;
}

describe('MOV to and from CR0', () => {
  // Real mode: the #GP is delivered through the IVT to a HLT at 0x2000.
  it.each([
    ['PG without PE', 0x80000010],
    ['NW without CD', 0x20000010],
  ])('raises #GP(0) for %s and leaves CR0 alone', (_name, value) => {
    const vm = createTestVm();
    vm.load(CODE, [
      0x66, 0xb8, ...le32(value), // mov eax, value
      0x0f, 0x22, 0xc0, //           mov cr0, eax   (0x1006)
      0xf4, //                       hlt
    ]);
    vm.load(0x2000, [0xf4]);
    setIvt(vm, Vector.GP, 0x2000);
    enterRealMode(vm, CODE);
    vm.runExpect(ExitReason.HLT);
    expect(vm.vcpu.cpu.state.getLo('rip')).toBe(0x2001);
    expect(vm.ram[0x6ffa] | (vm.ram[0x6ffb] << 8)).toBe(0x1006); // IP pushed: the MOV itself (a fault)
    expect(vm.vcpu.cpu.state.getLo('cr0')).toBe(RESET_CR0);
  });

  it('reads CR0 and ignores the ModRM mod bits (no displacement follows)', () => {
    // 0F 20 05 is MOV EBP, CR0: mod 00 rm 101 would mean disp32 for a memory operand.
    const vm = flat32([0x0f, 0x20, 0x05, 0xf4, 0xf4, 0xf4, 0xf4, 0xf4]); // mov ebp, cr0; hlt...
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(5)).toBe(RESET_CR0 | 1);
    expect(vm.vcpu.cpu.state.getLo('rip')).toBe(CODE + 4);
  });

  it('raises #UD for CR1 and CR5, and #GP(0) at CPL 3', () => {
    expect(runToFault(flat32([0x0f, 0x20, 0xc8]))).toMatchObject({ vector: Vector.UD, rip: CODE }); // mov eax, cr1
    expect(runToFault(flat32([0x0f, 0x22, 0xe8]))).toMatchObject({ vector: Vector.UD, rip: CODE }); // mov cr5, eax
    const vm = flat32([0x0f, 0x20, 0xc0]); // mov eax, cr0
    enterRing3(vm);
    expect(runToFault(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE });
  });
});

describe('MOV to CR4', () => {
  const setCr4 = (value: number): number[] => [0xb8, ...le32(value), 0x0f, 0x22, 0xe0]; // mov eax, v; mov cr4, eax

  it('accepts the advertised PSE and TSD bits', () => {
    const vm = flat32([...setCr4(0x14), 0x0f, 0x20, 0xe3, 0xf4]); // ...; mov ebx, cr4; hlt
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(3)).toBe(0x14);
  });

  it.each([
    ['VME', 0x01],
    ['PCE', 0x100],
    ['CET', 0x800000],
    ['LA57', 0x1000],
  ])('raises #GP(0) for %s, which CPUID does not advertise', (_name, bit) => {
    const vm = flat32(setCr4(bit));
    expect(runToFault(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE + 5 });
    expect(vm.vcpu.cpu.state.getLo('cr4')).toBe(0);
  });

  it('accepts DE once the VMM advertises CPUID.01H:EDX.DE', () => {
    const vm = flat32([...setCr4(0x08), 0xf4]);
    advertiseDe(vm);
    vm.runExpect(ExitReason.HLT);
    expect(vm.vcpu.cpu.state.getLo('cr4')).toBe(0x08);
  });
});

describe('LMSW, SMSW, CLTS', () => {
  it('LMSW loads MP EM TS but cannot clear PE', () => {
    const vm = flat32([
      0x66, 0xb8, 0x0e, 0x00, // mov ax, 0xe
      0x0f, 0x01, 0xf0, //       lmsw ax
      0x0f, 0x20, 0xc3, //       mov ebx, cr0
      0x66, 0x31, 0xc0, //       xor ax, ax
      0x0f, 0x01, 0xf0, //       lmsw ax
      0x0f, 0x20, 0xc1, //       mov ecx, cr0
      0xf4,
    ]);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(3)).toBe(RESET_CR0 | 0xf);
    expect(vm.reg(1)).toBe(RESET_CR0 | 1);
  });

  it('LMSW enters protected mode from real mode; SMSW stores the machine status word', () => {
    const vm = createTestVm();
    vm.load(CODE, [
      0xb8, 0x01, 0x00, //             mov ax, 1
      0x0f, 0x01, 0xf0, //             lmsw ax
      0x0f, 0x01, 0xe3, //             smsw bx
      0x66, 0x0f, 0x01, 0xe1, //       smsw ecx
      0x0f, 0x01, 0x26, 0x00, 0x05, // smsw [0x500]
      0xf4,
    ]);
    vm.load(0x500, [0xcc, 0xcc, 0xcc]);
    enterRealMode(vm, CODE);
    vm.setReg(3, 0xdead0000);
    vm.runExpect(ExitReason.HLT);
    expect(vm.vcpu.cpu.state.getLo('cr0')).toBe(RESET_CR0 | 1);
    expect(vm.reg(3)).toBe(0xdead0011); // r16: bits 31:16 kept
    expect(vm.reg(1)).toBe(RESET_CR0 | 1);
    expect([...vm.ram.subarray(0x500, 0x503)]).toEqual([0x11, 0x00, 0xcc]); // m16: two bytes
  });

  it('CLTS clears CR0.TS and is privileged', () => {
    const vm = flat32([0x66, 0xb8, 0x08, 0x00, 0x0f, 0x01, 0xf0, 0x0f, 0x06, 0x0f, 0x20, 0xc3, 0xf4]); // mov ax,8; lmsw ax; clts; mov ebx,cr0
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(3)).toBe(RESET_CR0 | 1);
    const ring3 = flat32([0x0f, 0x06]);
    enterRing3(ring3);
    expect(runToFault(ring3)).toMatchObject({ vector: Vector.GP, errorCode: 0 });
  });
});

describe('TLB maintenance', () => {
  // Page directory at 0x10000: PDE 0 -> identity page table at 0x11000, PDE 1 -> page table
  // at 0x12000 whose PTE 0 maps linear 0x400000 to 0x20000. 0x20000 holds 0x11111111 and
  // 0x21000 holds 0x22222222.
  function pagedVm(code: number[], ram?: number): TestVm {
    const vm = flat32(code, ram);
    writeU32(vm, 0x10000, 0x11000 | 3);
    writeU32(vm, 0x10004, 0x12000 | 3);
    for (let i = 0; i < 1024; i++) writeU32(vm, 0x11000 + 4 * i, (i << 12) | 3);
    writeU32(vm, 0x12000, 0x20000 | 3);
    writeU32(vm, 0x20000, 0x11111111);
    writeU32(vm, 0x21000, 0x22222222);
    return vm;
  }
  const enablePaging = [
    0xb8, 0x00, 0x00, 0x01, 0x00, // mov eax, 0x10000
    0x0f, 0x22, 0xd8, //             mov cr3, eax
    0x0f, 0x20, 0xc0, //             mov eax, cr0
    0x0d, 0x00, 0x00, 0x00, 0x80, // or eax, 0x80000000
    0x0f, 0x22, 0xc0, //             mov cr0, eax
  ];
  const remap = [
    0x8b, 0x1d, 0x00, 0x00, 0x40, 0x00, //                         mov ebx, [0x400000]
    0xc7, 0x05, 0x00, 0x20, 0x01, 0x00, 0x03, 0x10, 0x02, 0x00, // mov dword [0x12000], 0x21003
  ];
  const readAgain = [0x8b, 0x0d, 0x00, 0x00, 0x40, 0x00, 0xf4]; // mov ecx, [0x400000]; hlt

  it('a CR3 write flushes the TLB: the changed PTE is used', () => {
    const vm = pagedVm([...enablePaging, ...remap, 0xb8, 0x00, 0x00, 0x01, 0x00, 0x0f, 0x22, 0xd8, ...readAgain]);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(3)).toBe(0x11111111);
    expect(vm.reg(1)).toBe(0x22222222);
  });

  it('INVLPG drops the page', () => {
    const vm = pagedVm([...enablePaging, ...remap, 0x0f, 0x01, 0x3d, 0x00, 0x00, 0x40, 0x00, ...readAgain]); // invlpg [0x400000]
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(3)).toBe(0x11111111);
    expect(vm.reg(1)).toBe(0x22222222);
  });

  it('INVLPG of any address in a 4 MiB page drops the whole page', () => {
    // CR4.PSE; PDE 1 maps linear 0x400000 as a 4 MiB page at 0x800000, then at 0xc00000.
    const vm = pagedVm(
      [
        0xb8, 0x10, 0x00, 0x00, 0x00, 0x0f, 0x22, 0xe0, //                       mov eax, 0x10; mov cr4, eax
        ...enablePaging,
        0x8b, 0x1d, 0x00, 0x10, 0x40, 0x00, //                                   mov ebx, [0x401000]
        0xc7, 0x05, 0x04, 0x00, 0x01, 0x00, 0x83, 0x00, 0xc0, 0x00, //           mov dword [0x10004], 0xc00083
        0x0f, 0x01, 0x3d, 0x00, 0x00, 0x40, 0x00, //                             invlpg [0x400000]
        0x8b, 0x0d, 0x00, 0x10, 0x40, 0x00, //                                   mov ecx, [0x401000]
        0xf4,
      ],
      16 << 20,
    );
    writeU32(vm, 0x10004, 0x800083);
    writeU32(vm, 0x801000, 0xaaaa);
    writeU32(vm, 0xc01000, 0xbbbb);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(3)).toBe(0xaaaa);
    expect(vm.reg(1)).toBe(0xbbbb);
    expect(readU32(vm, 0x10004) & 0x20).toBe(0x20); // the walk set the PDE's accessed bit
  });
});

describe('MOV to and from debug registers', () => {
  it('keeps the fixed bits of DR6 and DR7; DR5 aliases DR7 while CR4.DE = 0', () => {
    const vm = flat32([
      0x31, 0xc0, //                   xor eax, eax
      0x0f, 0x23, 0xf0, //             mov dr6, eax
      0x0f, 0x21, 0xf3, //             mov ebx, dr6
      0xb8, 0xff, 0xdf, 0xff, 0xff, // mov eax, 0xffffdfff
      0x0f, 0x23, 0xf8, //             mov dr7, eax
      0x0f, 0x21, 0xe9, //             mov ecx, dr5
      0xb8, 0x78, 0x56, 0x34, 0x12, // mov eax, 0x12345678
      0x0f, 0x23, 0xc8, //             mov dr1, eax
      0x0f, 0x21, 0xca, //             mov edx, dr1
      0xf4,
    ]);
    vm.runExpect(ExitReason.HLT);
    // DR6: bits 4-11 and 16-31 read 1, bit 12 reads 0; DR7: bit 10 reads 1, 11, 12, 14, 15 read 0 (SDM Vol. 3A Figure 18-1).
    expect(vm.reg(3)).toBe(0xffff0ff0);
    expect(vm.reg(1)).toBe(0xffff07ff);
    expect(vm.reg(2)).toBe(0x12345678);
  });

  it('DR7.GD makes the next MOV DR a #DB fault with DR6.BD set and GD cleared', () => {
    const vm = flat32([
      0xb8, 0x00, 0x24, 0x00, 0x00, // mov eax, 0x2400
      0x0f, 0x23, 0xf8, //             mov dr7, eax
      0x0f, 0x21, 0xc0, //             mov eax, dr0   (0x1008)
    ]);
    expect(runToFault(vm)).toMatchObject({ vector: Vector.DB, rip: CODE + 8 });
    const s = vm.vcpu.cpu.state;
    expect(s.getLo('dr', 6) & 0x2000).toBe(0x2000);
    expect(s.getLo('dr', 7) & 0x2000).toBe(0);
  });

  it('DR4 is #UD with CR4.DE set', () => {
    const vm = flat32([
      0x0f, 0x20, 0xe0, // mov eax, cr4
      0x83, 0xc8, 0x08, // or eax, 8
      0x0f, 0x22, 0xe0, // mov cr4, eax
      0x0f, 0x21, 0xe0, // mov eax, dr4   (0x1009)
    ]);
    advertiseDe(vm);
    expect(runToFault(vm)).toMatchObject({ vector: Vector.UD, rip: CODE + 9 });
  });

  it('is #GP(0) at CPL 3', () => {
    const vm = flat32([0x0f, 0x21, 0xc0]);
    enterRing3(vm);
    expect(runToFault(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE });
  });
});

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

/** KVM_SET_CPUID2 with CPUID.01H:EDX.DE (bit 2) added. */
function advertiseDe(vm: TestVm): void {
  const entries = vm.vcpu.cpuid.getEntries();
  const leaf1 = entries.find((e) => e.function === 1)!;
  leaf1.edx |= 1 << 2;
  vm.vcpu.setCpuid2(entries);
}
