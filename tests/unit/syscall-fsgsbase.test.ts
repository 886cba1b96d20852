// SWAPGS (SDM Vol. 2B SWAPGS) and RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (Vol. 2B; CR4.FSGSBASE,
// Vol. 3A 2.5): the GS base exchange with IA32_KERNEL_GS_BASE, the FS/GS bases that memory
// operands then use, and the #UD/#GP conditions. The 32-bit WRGSBASE zero-extension and the
// #GP(0) for a non-canonical WRGSBASE were also checked on the host CPU (Linux enables
// CR4.FSGSBASE for user space): rdgsbase after `wrgsbase ecx` with RCX = 0xffffffff00004000
// gave 0x4000, and 0x0000800000000000 raised SIGSEGV with trap number 13, error code 0.
import { describe, expect, it } from 'vitest';
import { ExitReason, createTestVm, enterFlat32, type TestVm } from '../lib/machine.ts';
import { Msr } from '../../core/cpu/msr.ts';
import { Cr4, Reg, Seg, Vector } from '../../core/cpu/registers.ts';
import { runToFault } from './system-lib.ts';
import { MMIO_EXIT64, UCODE32, enterUser, longModeVm, put64 } from './long-mode-guest.ts';

const reg64 = (vm: TestVm, r: Reg): bigint => vm.vcpu.cpu.state.get64('gpr', r);
const base = (vm: TestVm, seg: Seg): bigint => vm.vcpu.cpu.state.get64('segBase', seg);
const DATA = 0x1122_3344_5566_7788n;

describe('SWAPGS (SDM Vol. 2B)', () => {
  it('exchanges the GS base with IA32_KERNEL_GS_BASE, and GS-relative accesses use the new base', () => {
    const vm = longModeVm(0x4000);
    vm.load(0x4000, [0x0f, 0x01, 0xf8, 0x65, 0x48, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00, 0xf4]); // swapgs; mov rax, [gs:0x10]; hlt
    put64(vm, 0x3010, DATA);
    vm.vcpu.cpu.state.set64('segBase', 0xffff_8000_1234_5000n, Seg.GS);
    expect(vm.vcpu.msrs.set(Msr.KERNEL_GS_BASE, 0x3000n, true)).toBe(true);
    vm.runExpect(ExitReason.HLT);
    expect(reg64(vm, Reg.RAX)).toBe(DATA);
    expect(base(vm, Seg.GS)).toBe(0x3000n);
    expect(vm.vcpu.msrs.get(Msr.KERNEL_GS_BASE, true)).toBe(0xffff_8000_1234_5000n);
  });

  it.each([
    ['at CPL 3', (vm: TestVm) => enterUser(vm, 0x10000), Vector.GP],
    ['in compatibility mode', (vm: TestVm) => enterUser(vm, 0x10000, UCODE32), Vector.UD],
  ])('raises a fault %s', (_what, enter, vector) => {
    const vm = longModeVm(0);
    vm.load(0x10000, [0x0f, 0x01, 0xf8]);
    enter(vm);
    const f = runToFault(vm);
    expect([f.vector, f.rip]).toEqual([vector, 0x10000]);
    if (vector === Vector.GP) expect(f.errorCode).toBe(0);
  });

  it('is #UD in legacy protected mode', () => {
    const vm = createTestVm();
    vm.load(0x1000, [0x0f, 0x01, 0xf8]);
    enterFlat32(vm, 0x1000);
    expect(runToFault(vm).vector).toBe(Vector.UD);
  });
});

describe('RDFSBASE, RDGSBASE, WRFSBASE, WRGSBASE (SDM Vol. 2B)', () => {
  // wrfsbase rax; rdfsbase rbx; wrgsbase ecx; rdgsbase rdx; mov rsi, [fs:0x10]; then an MMIO write to stop
  const CODE = [
    0xf3, 0x48, 0x0f, 0xae, 0xd0, 0xf3, 0x48, 0x0f, 0xae, 0xc3, 0xf3, 0x0f, 0xae, 0xd9, 0xf3, 0x48, 0x0f, 0xae, 0xca,
    0x64, 0x48, 0x8b, 0x34, 0x25, 0x10, 0x00, 0x00, 0x00, ...MMIO_EXIT64,
  ];

  function userVm(cr4: number): TestVm {
    const vm = longModeVm(0);
    vm.load(0x10000, CODE);
    put64(vm, 0x3010, DATA);
    enterUser(vm, 0x10000);
    vm.vcpu.cpu.state.setLo('cr4', cr4);
    vm.vcpu.cpu.state.set64('gpr', 0x3000n, Reg.RAX);
    vm.vcpu.cpu.state.set64('gpr', 0xffff_ffff_0000_4000n, Reg.RCX);
    return vm;
  }

  it('WRFSBASE with CR4.FSGSBASE clear is #UD', () => {
    const f = runToFault(userVm(0));
    expect([f.vector, f.rip]).toEqual([Vector.UD, 0x10000]);
  });

  it('with CR4.FSGSBASE set they run at CPL 3; a 32-bit WRGSBASE clears bits 63:32; FS-relative accesses use the base', () => {
    const vm = userVm(Cr4.FSGSBASE);
    vm.runExpect(ExitReason.MMIO);
    expect([base(vm, Seg.FS), reg64(vm, Reg.RBX)]).toEqual([0x3000n, 0x3000n]);
    expect([base(vm, Seg.GS), reg64(vm, Reg.RDX)]).toEqual([0x4000n, 0x4000n]);
    expect(reg64(vm, Reg.RSI)).toBe(DATA);
  });

  it('WRFSBASE with a non-canonical value is #GP(0); without the F3 prefix the opcode is #UD', () => {
    const vm = userVm(Cr4.FSGSBASE);
    vm.vcpu.cpu.state.set64('gpr', 0x0000_8000_0000_0000n, Reg.RAX);
    expect(runToFault(vm)).toEqual({ vector: Vector.GP, errorCode: 0, rip: 0x10000 });
    expect(base(vm, Seg.FS)).toBe(0n);
    const noPrefix = userVm(Cr4.FSGSBASE);
    noPrefix.load(0x10000, [0x48, 0x0f, 0xae, 0xd0]);
    expect(runToFault(noPrefix).vector).toBe(Vector.UD);
  });
});
