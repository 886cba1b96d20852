// Single-step over SYSCALL and SYSRET, which the AMD compatibility-mode path of kvm-unit-tests
// syscall.c checks: these two trap on TF as they leave it (KVM commit c8401dda2f0a), so a TF
// masked by IA32_FMASK gives no #DB on kernel entry, and a SYSRET that loads TF from R11 takes
// the #DB at once, at CPL 3 (SDM Vol. 3B 18.3.1.4 for the trap's DR6.BS and frame).
import { describe, expect, it } from 'vitest';
import { Msr } from '../../core/cpu/msr.ts';
import { Flag, Reg, Seg, Vector } from '../../core/cpu/registers.ts';
import { ExitReason, type TestVm } from '../lib/machine.ts';
import { GATE64_INTERRUPT, KCODE, RSP0, STAR, UCODE, UDATA, USTACK, cpl, enterUser, idtGate, longModeVm, rip, sel, stackQwords } from './long-mode-guest.ts';

const LSTAR = 0x6000;
const DB_HANDLER = 0x5000;
/** DR6.BS (bit 14): the #DB came from single-stepping (SDM Vol. 3B 18.2.3). */
const DR6_BS = 1 << 14;

function tfVm(): TestVm {
  const vm = longModeVm(0x4000);
  for (const [index, value] of [[Msr.STAR, STAR], [Msr.LSTAR, BigInt(LSTAR)], [Msr.FMASK, BigInt(Flag.TF | Flag.IF)]] as const) {
    if (!vm.vcpu.msrs.set(index, value, true)) throw new Error('MSR refused');
  }
  idtGate(vm, Vector.DB, DB_HANDLER, GATE64_INTERRUPT, 0);
  vm.load(DB_HANDLER, [0xf4]);
  vm.load(LSTAR, [0xf4]);
  return vm;
}

describe('single-step over SYSCALL and SYSRET', () => {
  it('SYSCALL with TF set and TF in IA32_FMASK takes no #DB: the kernel entry runs', () => {
    const vm = tfVm();
    vm.load(0x10000, [0x0f, 0x05]); // syscall
    enterUser(vm, 0x10000);
    vm.vcpu.cpu.state.setLo('rflags', Flag.FIXED1 | Flag.TF);
    vm.runExpect(ExitReason.HLT);
    expect([cpl(vm), rip(vm)]).toEqual([0, BigInt(LSTAR + 1)]);
    expect(vm.vcpu.cpu.state.getLo('gpr', Reg.R11)).toBe(Flag.FIXED1 | Flag.TF);
  });

  it('SYSRETQ that loads TF from R11 traps at once: #DB at the return RIP with CS at RPL 3 and DR6.BS', () => {
    const vm = tfVm();
    vm.load(0x4000, [0x48, 0x0f, 0x07]); // o64 sysret
    vm.load(0x10000, [0x90]);
    vm.vcpu.cpu.state.set64('gpr', 0x10000n, Reg.RCX);
    vm.vcpu.cpu.state.set64('gpr', BigInt(Flag.FIXED1 | Flag.TF), Reg.R11);
    vm.setReg(Reg.RSP, USTACK);
    vm.runExpect(ExitReason.HLT);
    expect([cpl(vm), rip(vm), sel(vm, Seg.CS)]).toEqual([0, BigInt(DB_HANDLER + 1), KCODE]);
    expect(stackQwords(vm, 5)).toEqual([0x10000n, BigInt(UCODE), BigInt(Flag.FIXED1 | Flag.TF), BigInt(USTACK), BigInt(UDATA)]);
    expect(vm.vcpu.cpu.state.getLo('gpr', Reg.RSP)).toBe(RSP0 - 40);
    expect(vm.vcpu.cpu.state.getLo('dr', 6) & DR6_BS).toBe(DR6_BS);
  });
});
