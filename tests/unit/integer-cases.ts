// Table-driven cases for the integer-family tests (muldiv, shift, bits, bcd, atomic, flagops):
// instruction bytes, the initial state, and the final state the SDM defines or the host CPU
// produced (AMD EPYC, family 1Ah, run through tests/harness/native/runner.c, or a 64-bit build
// of the same idea for the REX.W forms). Flags are written as names ('CF ZF ...'): the status
// flags and DF that are set.
import { expect, it } from 'vitest';
import { ExitSignal, GuestFault } from '../../core/cpu/faults.ts';
import { Seg, SegAttr } from '../../core/cpu/registers.ts';
import { DEFAULT_REGISTERS, LAYOUT, type CpuState, type FinalState, type RegisterName } from '../harness/fixture-format.ts';
import { FixtureRunner } from '../lib/fixture-runner.ts';
import { createTestVm, ExitReason } from '../lib/machine.ts';

const FLAG_BITS: Record<string, number> = { CF: 1 << 0, PF: 1 << 2, AF: 1 << 4, ZF: 1 << 6, SF: 1 << 7, DF: 1 << 10, OF: 1 << 11 };
const SHOWN = Object.values(FLAG_BITS).reduce((a, b) => a | b);
/** Bit 1 always reads 1; IF as the native runner (CPL 3) always had it. */
const FIXED = (1 << 1) | (1 << 9);

export function flagBits(names: string): number {
  return names
    .split(' ')
    .filter((n) => n !== '')
    .reduce((acc, n) => acc | FLAG_BITS[n], 0);
}

export function flagNames(eflags: number): string {
  return Object.entries(FLAG_BITS)
    .filter(([, bit]) => eflags & bit)
    .map(([n]) => n)
    .join(' ');
}

type Regs32 = Partial<Record<RegisterName, number>>;
/** [description, instruction bytes (hex), initial state, expected final state]. */
export type HostCase = [string, string, Regs32 & { flags?: string; mem?: string }, Regs32 & { flags: string; mem?: string; fault?: number }];

const hexBytes = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/ /g, ''), 'hex'));

/** Runs one case in flat 32-bit mode at the recording's addresses (ESI = LAYOUT.memBase reaches the buffer). */
export function run32(code: string, init: HostCase[2], runner = new FixtureRunner()): FinalState {
  const { flags, mem, ...regs } = init;
  const state: CpuState = { ...DEFAULT_REGISTERS, ...regs, eflags: flagBits(flags ?? '') | FIXED };
  if (mem !== undefined) {
    state.mem = new Uint8Array(LAYOUT.memSize);
    state.mem.set(hexBytes(mem));
  }
  const c = { family: 'unit', index: 0, asm: code, mnemonic: '', ctx: { size: 32 as const }, code: hexBytes(code), init: state, final: state };
  return runner.run(c, 'block');
}

/** One `it` per case: the registers, flags, memory prefix and fault the case lists must match. */
export function itMatchesHost(cases: HostCase[]): void {
  const runner = new FixtureRunner();
  it.each(cases)('%s', (_asm, code, init, want) => {
    const got = run32(code, init, runner);
    const { flags, mem, fault, ...regs } = want;
    expect(got.fault).toBe(fault);
    for (const [r, v] of Object.entries(regs)) expect(got[r as RegisterName].toString(16), r).toBe((v >>> 0).toString(16));
    expect(flagNames(got.eflags & SHOWN)).toBe(flagNames(flagBits(flags)));
    if (mem !== undefined) expect(Buffer.from(got.mem!.subarray(0, mem.length / 2)).toString('hex')).toBe(mem);
  });
}

// ---- 64-bit mode --------------------------------------------------------------------------

/** Registers of a 64-bit case, in encoding order names. */
export type Regs64 = Partial<Record<'rax' | 'rcx' | 'rdx' | 'rbx' | 'rbp' | 'rsi' | 'rdi', bigint>>;
export type HostCase64 = [string, string, Regs64 & { flags?: string; mem?: string }, Regs64 & { flags: string; mem?: string; fault?: number }];
const GPR64: Record<keyof Regs64, number> = { rax: 0, rcx: 1, rdx: 2, rbx: 3, rbp: 5, rsi: 6, rdi: 7 };
const CODE64 = 0x20000;
export const MEM64 = 0x31000;

/**
 * Runs one case in 64-bit mode. The CPU model has no 4-level paging yet, so this sets EFER.LMA
 * and CS.L directly with paging off: enough for instructions that only need the 64-bit
 * decoding and register file (no page walk is involved).
 */
export function run64(code: string, init: HostCase64[2]): { regs: Record<keyof Regs64, bigint>; eflags: number; mem: Uint8Array; fault?: number } {
  const vm = createTestVm(1 << 20);
  const cpu = vm.vcpu.cpu;
  const s = cpu.state;
  const { flags, mem, ...regs } = init;
  vm.load(CODE64, [...hexBytes(code), 0xf4]);
  if (mem !== undefined) vm.load(MEM64, hexBytes(mem));
  s.setLo('cr0', s.getLo('cr0') | 1);
  s.setLo('efer', (1 << 8) | (1 << 10)); // LME | LMA
  for (const seg of [Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) {
    const attr = SegAttr.P | SegAttr.S | SegAttr.G | (seg === Seg.CS ? SegAttr.L | 0xb : SegAttr.DB | 3);
    cpu.setSegment(seg, seg === Seg.CS ? 8 : 0x10, 0, 0xffffffff, attr);
  }
  for (let i = 0; i < 16; i++) s.set64('gpr', 0n, i);
  for (const [r, v] of Object.entries(regs)) s.set64('gpr', v, GPR64[r as keyof Regs64]);
  s.set64('gpr', 0x8000n, 4);
  s.setLo('rip', CODE64);
  s.setLo('rflags', flagBits(flags ?? '') | FIXED);
  cpu.refreshMode();
  cpu.phys.refresh();
  let fault: number | undefined;
  for (let guard = 0; guard < 100; guard++) {
    try {
      cpu.lookup(false).run();
    } catch (e) {
      if (e instanceof GuestFault) fault = e.vector;
      else if (!(e instanceof ExitSignal && e.reason === ExitReason.HLT)) throw e;
      break;
    }
  }
  const out = {} as Record<keyof Regs64, bigint>;
  for (const [r, i] of Object.entries(GPR64)) out[r as keyof Regs64] = s.get64('gpr', i);
  return { regs: out, eflags: s.getLo('rflags'), mem: vm.ram.slice(MEM64, MEM64 + 64), fault };
}

export function itMatchesHost64(cases: HostCase64[]): void {
  it.each(cases)('%s', (_asm, code, init, want) => {
    const got = run64(code, init);
    const { flags, mem, fault, ...regs } = want;
    expect(got.fault).toBe(fault);
    for (const [r, v] of Object.entries(regs)) expect(got.regs[r as keyof Regs64].toString(16), r).toBe(v.toString(16));
    expect(flagNames(got.eflags & SHOWN)).toBe(flagNames(flagBits(flags)));
    if (mem !== undefined) expect(Buffer.from(got.mem.subarray(0, mem.length / 2)).toString('hex')).toBe(mem);
  });
}
