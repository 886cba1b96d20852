// The SSE fixture files (tests/fixtures/sse/*.jsonl, written by record.ts) and how a case
// runs on wasmkvm: flat 32-bit protected mode (or 64-bit mode for the families recorded in
// it) at CPL 0 with CR4.OSFXSR and OSXMMEXCPT, the
// case's code followed by HLT, XMM0-XMM2, MXCSR, EFLAGS, EAX, ECX and EDX loaded from the
// recording; the result is read back in the recording's terms.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Cr4, STATUS_FLAGS } from '../../core/cpu/registers.ts';
import { ExitReason } from '../../core/kvm/exit-reason.ts';
import { ExitSignal, GuestFault, InternalError } from '../../core/cpu/faults.ts';
import { DispatchResult } from '../../jit/dispatcher.ts';
import { createTestVm, enterFlat32, type TestVm } from '../lib/machine.ts';
import { longModeVm } from '../unit/long-mode-guest.ts';

export const SSE_FIXTURE_FORMAT = 'wasmkvm-sse-fixture/1';
const DIR = fileURLToPath(new URL('../fixtures/sse/', import.meta.url));

export interface SseCase {
  /** 64: run in 64-bit mode with the inputs in XMM0-XMM2 and XMM8-XMM10; results from XMM8-XMM10 and RAX RCX RDX. */
  readonly mode?: 32 | 64;
  readonly asm: string;
  readonly code: string;
  readonly in: string;
  readonly out: string;
}

export function listSseFamilies(): string[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => f.slice(0, -6))
    .sort();
}

export function loadSseFixtures(family: string): SseCase[] {
  const lines = readFileSync(join(DIR, `${family}.jsonl`), 'utf8').trim().split('\n');
  const header = JSON.parse(lines[0]!) as { format: string; mode?: 32 | 64 };
  if (header.format !== SSE_FIXTURE_FORMAT) throw new Error(`${family}: unknown format ${header.format}`);
  return lines.slice(1).map((l) => ({ ...(JSON.parse(l) as SseCase), mode: header.mode ?? 32 }));
}

/**
 * Instructions left out of the fixtures because the SDM leaves their results to the
 * implementation: none. The RCPPS/RSQRTPS approximations are recorded (family `rcp`) and
 * core/simd/rcp.ts reproduces the recording host's values.
 */
export const IMPLEMENTATION_SPECIFIC: readonly string[] = [];

const CODE_BASE = 0x10000;
const HLT = 0xf4;

/** Blocks called from JS, one instruction per block, and blocks chained by the Wasm dispatcher (jit/dispatcher.ts). */
export type SseTier = 'block' | 'single' | 'dispatch';

export class SseRunner {
  private vm32?: TestVm;
  private vm64?: TestVm;
  private loaded = '';

  private vmFor(mode: 32 | 64): TestVm {
    if (mode === 64) return (this.vm64 ??= longModeVm(CODE_BASE));
    return (this.vm32 ??= createTestVm(1024 * 1024));
  }

  run(c: SseCase, tier: SseTier): string {
    const mode = c.mode ?? 32;
    const vm = this.vmFor(mode);
    const cpu = vm.vcpu.cpu;
    const s = cpu.state;
    if (this.loaded !== c.code + tier + mode) {
      vm.load(CODE_BASE, [...Buffer.from(c.code, 'hex'), HLT]);
      cpu.cache.invalidatePage(CODE_BASE >>> 12);
      cpu.clearJitHash();
      this.loaded = c.code + tier + mode;
    }
    if (mode === 64) {
      s.setLo('rip', CODE_BASE);
      s.setLo('cr4', Cr4.OSFXSR | Cr4.OSXMMEXCPT | Cr4.PAE);
    } else {
      enterFlat32(vm, CODE_BASE);
      s.setLo('cr4', Cr4.OSFXSR | Cr4.OSXMMEXCPT);
    }
    const f = c.in.split(' ');
    s.setU32('mxcsr', parseInt(f[0]!, 16));
    s.setLo('rflags', parseInt(f[1]!, 16));
    s.setU32('lazyKind', 0);
    for (let i = 0; i < 3; i++) s.set64('gpr', BigInt('0x' + f[2 + i]!), i);
    for (let i = 0; i < 8; i++) {
      const hex = f[5 + i] ?? '0'.repeat(32);
      const b = Buffer.from(hex, 'hex');
      for (const r of mode === 64 ? [i, 8 + i] : [i]) {
        s.set64('xmm', b.readBigUInt64LE(0), 2 * r);
        s.set64('xmm', b.readBigUInt64LE(8), 2 * r + 1);
      }
    }
    cpu.refreshMode();
    cpu.phys.refresh();
    // Blocks run from here until the HLT after the instruction exits (a fault is a result too).
    for (let guard = 0; ; guard++) {
      if (guard > 20) return 'no HLT';
      try {
        if (tier === 'dispatch') {
          // A miss compiles the block and fills the hash; the next dispatch runs it.
          if (cpu.dispatch() === DispatchResult.Miss) cpu.lookup(false);
        } else cpu.lookup(tier === 'single').run();
      } catch (e) {
        if (e instanceof ExitSignal && e.reason === ExitReason.HLT) break;
        if (e instanceof GuestFault) return `fault ${e.vector}`;
        if (e instanceof InternalError) return `internal error ${e.message}`;
        throw e;
      }
    }
    const x = (i: number): string => {
      const b = Buffer.alloc(16);
      b.writeBigUInt64LE(s.get64('xmm', 2 * i), 0);
      b.writeBigUInt64LE(s.get64('xmm', 2 * i + 1), 8);
      return b.toString('hex');
    };
    const flags = vm.flags();
    const first = mode === 64 ? 8 : 0;
    const gpr = (n: number): string => (mode === 64 ? s.get64('gpr', n).toString(16).padStart(16, '0') : (vm.reg(n) >>> 0).toString(16).padStart(8, '0'));
    const head = [s.getU32('mxcsr'), flags].map((v) => (v >>> 0).toString(16).padStart(8, '0'));
    return [...head, gpr(0), gpr(1), gpr(2), x(first), x(first + 1), x(first + 2)].join(' ');
  }
}

/** Compares a result with the recording: every field exactly, EFLAGS on the status flags only. */
export function diffSse(expected: string, actual: string): string[] {
  const names = ['mxcsr', 'eflags', 'eax', 'ecx', 'edx', 'xmm0', 'xmm1', 'xmm2'];
  const e = expected.split(' ');
  const a = actual.split(' ');
  if (a.length !== e.length) return [actual];
  const out: string[] = [];
  e.forEach((v, i) => {
    const got = a[i]!;
    if (names[i] === 'eflags') {
      if ((parseInt(v, 16) & STATUS_FLAGS) !== (parseInt(got, 16) & STATUS_FLAGS)) out.push(`eflags ${v} != ${got}`);
    } else if (v !== got) out.push(`${names[i]} ${v} != ${got}`);
  });
  return out;
}
