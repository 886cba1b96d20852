// A runner for the integer-extension tests (isa-ext.test.ts): one instruction in 64-bit or flat
// 32-bit mode with memory at 0x31000, as the host recorded it, and the vCPU's CPUID table
// chosen by the test. Faults come back as the vector (no IDT is involved).
import { expect, it } from 'vitest';
import { supportedCpuid } from '../../core/cpu/cpuid.ts';
import { ExitSignal, GuestFault } from '../../core/cpu/faults.ts';
import { Seg, SegAttr } from '../../core/cpu/registers.ts';
import type { KvmCpuidEntry2 } from '../../core/kvm/types.ts';
import { createTestVm, enterFlat32, enterRealMode, ExitReason, type TestVm } from '../lib/machine.ts';
import { flagBits, flagNames } from './integer-cases.ts';

export const GPRS = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
export type Gpr = Exclude<(typeof GPRS)[number], 'rsp'>;
type Regs = Partial<Record<Gpr, bigint>>;
/** [description, instruction bytes (hex), initial state, final state: the registers that changed, flags set, memory, fault]. */
export type IsaCase = [string, string, Regs & { flags?: string; mem?: string }, Regs & { flags: string; mem?: string; fault?: number }];

export interface IsaResult {
  regs: Record<Gpr, bigint>;
  eflags: number;
  mem: Uint8Array;
  fault?: number;
}

const CODE = 0x20000;
export const MEM = 0x31000;
/** The status flags and DF. */
const SHOWN = 0x8d5 | 0x400;
/** Bit 1 always reads 1; IF as the native runner (user mode) had it. */
const FIXED = (1 << 1) | (1 << 9);

/** Long mode without paging: EFER.LMA and a CS with L, enough for register and flat-memory instructions. */
function enter64(vm: TestVm): void {
  const cpu = vm.vcpu.cpu;
  const s = cpu.state;
  s.setLo('cr0', s.getLo('cr0') | 1);
  s.setLo('efer', (1 << 8) | (1 << 10)); // LME | LMA
  for (const seg of [Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) {
    const attr = SegAttr.P | SegAttr.S | SegAttr.G | (seg === Seg.CS ? SegAttr.L | 0xb : SegAttr.DB | 3);
    cpu.setSegment(seg, seg === Seg.CS ? 8 : 0x10, 0, 0xffffffff, attr);
  }
  s.setLo('rip', CODE);
  cpu.refreshMode();
}

export interface RunOptions {
  /** The CPUID table (default: the supported one). */
  cpuid?: KvmCpuidEntry2[];
  /** Runs after the state is set up, before the instruction. */
  setup?: (vm: TestVm) => void;
}

/** Runs `code` at 0x20000 in 64-bit mode, flat 32-bit mode or real mode (CS base 0x20000, IP 0). */
export function runIsa(bits: 16 | 32 | 64, code: string, init: IsaCase[2], opts: RunOptions = {}): IsaResult {
  const vm = createTestVm(1 << 20);
  const cpu = vm.vcpu.cpu;
  const s = cpu.state;
  const { flags, mem, ...regs } = init;
  vm.vcpu.setCpuid2(opts.cpuid ?? supportedCpuid());
  vm.load(CODE, [...Buffer.from(code.replace(/ /g, ''), 'hex'), 0xf4]);
  if (mem !== undefined) vm.load(MEM, Buffer.from(mem, 'hex'));
  if (bits === 64) enter64(vm);
  else if (bits === 32) enterFlat32(vm, CODE);
  else {
    enterRealMode(vm, 0);
    cpu.setSegment(Seg.CS, CODE >> 4, CODE, 0xffff, SegAttr.P | SegAttr.S | 0xb);
  }
  for (let i = 0; i < 16; i++) s.set64('gpr', 0n, i);
  for (const [r, v] of Object.entries(regs)) s.set64('gpr', v, GPRS.indexOf(r as Gpr));
  s.set64('gpr', 0x8000n, 4);
  s.setLo('rflags', flagBits(flags ?? '') | FIXED);
  opts.setup?.(vm);
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
  cpu.resolveFlags();
  const out = {} as Record<Gpr, bigint>;
  GPRS.forEach((r, i) => r !== 'rsp' && (out[r] = s.get64('gpr', i)));
  return { regs: out, eflags: s.getLo('rflags'), mem: vm.ram.slice(MEM, MEM + 64), fault };
}

/** One `it` per case: every register (those not listed must keep their value), flags, memory and fault. */
export function itMatchesHostIsa(bits: 32 | 64, cases: IsaCase[]): void {
  it.each(cases)('%s', (_name, code, init, want) => {
    const got = runIsa(bits, code, init);
    const { flags, mem, fault, ...regs } = want;
    expect(got.fault).toBe(fault);
    for (const r of GPRS) {
      if (r === 'rsp') continue;
      const expected = regs[r] ?? init[r] ?? 0n;
      expect(got.regs[r].toString(16), r).toBe(expected.toString(16));
    }
    expect(flagNames(got.eflags & SHOWN)).toBe(flagNames(flagBits(flags)));
    if (mem !== undefined) expect(Buffer.from(got.mem.subarray(0, mem.length / 2)).toString('hex')).toBe(mem);
  });
}
