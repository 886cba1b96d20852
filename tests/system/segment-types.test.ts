// Segment type checks on data accesses (SDM Vol. 3A 5.4.1): writing through a read-only data
// segment or a code segment is #GP(0) (generated code and the INS cold path alike), reading
// through an execute-only code segment is #GP(0), and a faulting write leaves memory unchanged.
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../lib/machine.ts';
import { GDT, GP_HANDLER, protectedVm, put32, putDesc, rip, segment, u32 } from '../unit/protection-guest.ts';

const SEL = 0x50; // a free GDT slot past protectedVm's entries
const GDT_LIMIT = SEL + 7;

function guestWith(access: number, code: number[]): ReturnType<typeof protectedVm> {
  const vm = protectedVm(0x4000);
  putDesc(vm, GDT + SEL, segment(0, 0xfffff, access));
  vm.vcpu.cpu.state.setU32('gdtrLimit', GDT_LIMIT);
  vm.load(0x4000, code);
  return vm;
}

// mov ax, SEL; mov es, ax; <access through ES>; hlt
const loadEs = [0x66, 0xb8, SEL, 0x00, 0x8e, 0xc0];

describe('segment types on data accesses (SDM Vol. 3A 5.4.1)', () => {
  it('a write through a read-only data segment is #GP(0) and stores nothing', () => {
    // mov dword [es:0x7000], 0x11223344
    const vm = guestWith(0x90, [...loadEs, 0x26, 0xc7, 0x05, 0x00, 0x70, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11, 0xf4]);
    put32(vm, 0x7000, 0x55);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(GP_HANDLER + 1);
    expect(u32(vm, 0x7000)).toBe(0x55);
  });

  it('a read through the same read-only segment succeeds', () => {
    // mov eax, [es:0x7000]
    const vm = guestWith(0x90, [...loadEs, 0x26, 0xa1, 0x00, 0x70, 0x00, 0x00, 0xf4]);
    put32(vm, 0x7000, 0x1234);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(0x4000 + loadEs.length + 7);
    expect(vm.reg(0)).toBe(0x1234);
  });

  it('a read-modify-write through a readable code segment is #GP(0)', () => {
    // inc dword [es:0x7000]  (ES = execute/read code: loadable into ES, never writable)
    const vm = guestWith(0x9a, [...loadEs, 0x26, 0xff, 0x05, 0x00, 0x70, 0x00, 0x00, 0xf4]);
    put32(vm, 0x7000, 7);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(GP_HANDLER + 1);
    expect(u32(vm, 0x7000)).toBe(7);
  });

  it('x87 stores through a read-only data segment are #GP(0) and store nothing', () => {
    // fnstcw [es:0x7000] (the cold path) and fstp qword [es:0x7000] (the Wasm fast path)
    for (const store of [[0x26, 0xd9, 0x3d], [0x26, 0xdd, 0x1d]]) {
      // clts; fninit; fld1; <store> [0x7000]
      const vm = guestWith(0x90, [...loadEs, 0x0f, 0x06, 0xdb, 0xe3, 0xd9, 0xe8, ...store, 0x00, 0x70, 0x00, 0x00, 0xf4]);
      put32(vm, 0x7000, 0x55);
      vm.runExpect(ExitReason.HLT);
      expect(rip(vm)).toBe(GP_HANDLER + 1);
      expect(u32(vm, 0x7000)).toBe(0x55);
    }
  });

  it('FXSAVE to a read-only data segment is #GP(0) and stores nothing', () => {
    // mov eax, cr4; or eax, 0x200 (OSFXSR); mov cr4, eax; clts; fxsave [es:0x7000]; hlt
    const vm = guestWith(0x90, [...loadEs, 0x0f, 0x20, 0xe0, 0x0d, 0x00, 0x02, 0x00, 0x00, 0x0f, 0x22, 0xe0, 0x0f, 0x06, 0x26, 0x0f, 0xae, 0x05, 0x00, 0x70, 0x00, 0x00, 0xf4]);
    put32(vm, 0x7000, 0x55);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(GP_HANDLER + 1);
    expect(u32(vm, 0x7000)).toBe(0x55);
  });

  it('an x87 load through the same read-only segment succeeds', () => {
    // clts; fninit; fld dword [es:0x7000]; fistp dword [0x7004] (DS is writable); hlt
    const vm = guestWith(0x90, [...loadEs, 0x0f, 0x06, 0xdb, 0xe3, 0x26, 0xd9, 0x05, 0x00, 0x70, 0x00, 0x00, 0xdb, 0x1d, 0x04, 0x70, 0x00, 0x00, 0xf4]);
    put32(vm, 0x7000, 0x40400000); // 3.0f (IEEE 754 binary32)
    vm.runExpect(ExitReason.HLT);
    expect(u32(vm, 0x7004)).toBe(3);
  });

  it('INS into a read-only ES is #GP(0) before any port access', () => {
    // mov edi, 0x7000; mov dx, 0x80; insb
    const vm = guestWith(0x90, [...loadEs, 0xbf, 0x00, 0x70, 0x00, 0x00, 0x66, 0xba, 0x80, 0x00, 0x6c, 0xf4]);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(GP_HANDLER + 1);
  });

  it('a read through an execute-only CS is #GP(0)', () => {
    // far jump to SEL:0x4100 (execute-only code), then mov eax, [cs:0x7000]
    const vm = guestWith(0x98, [0xea, 0x00, 0x41, 0x00, 0x00, SEL, 0x00]);
    vm.load(0x4100, [0x2e, 0xa1, 0x00, 0x70, 0x00, 0x00, 0xf4]);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(GP_HANDLER + 1);
  });
});
