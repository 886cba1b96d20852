// One x87 instruction on the cold path: the device-not-available and pending-exception
// checks (SDM Vol. 3A 2.5 Table 2-2; Vol. 1 8.6-8.7), the semantics (core/fpu/ops-*.ts) and
// the last instruction/data pointers (Vol. 1 8.1.8). The JIT binds one of these per
// instruction at translation time (jit/emit/x87.ts).
import type { Cpu } from '../cpu/cpu.ts';
import { GuestFault } from '../cpu/faults.ts';
import { isCanonical } from '../cpu/paging/canonical.ts';
import { Cr0, Cr4, Seg, Vector } from '../cpu/registers.ts';
import type { MemoryOperand, X87Context } from './context.ts';
import { ARITH_OPS, type FormInfo, type Op } from './ops-arith.ts';
import { CONTROL, CONTROL_OPS, controlOperandSize, NON_WAITING } from './ops-control.ts';
import { LOAD_OPS } from './ops-load.ts';
import { TRANSCENDENTAL_OPS } from './ops-transcend.ts';
import { Fpu } from './state.ts';
import { Sw } from './status.ts';

const OPS: Readonly<Record<string, (f: FormInfo) => Op>> = { ...ARITH_OPS, ...LOAD_OPS, ...TRANSCENDENTAL_OPS, ...CONTROL_OPS };

/** Every mnemonic of core/cpu/opcodes-x87.ts. */
export const X87_MNEMONICS: readonly string[] = Object.keys(OPS);

/** Memory operand sizes by the table's operand letter (SDM Vol. 2D A.2.2). */
const OPERAND_BYTES: Readonly<Record<string, number>> = { Mw: 2, Md: 4, Mq: 8, Mt: 10 };

/** The translation-time facts of one instruction. */
export interface X87Site {
  readonly mnemonic: string;
  readonly form: FormInfo;
  /** Memory-operand letter ('Md', 'M' ...) or undefined for a register form. */
  readonly operand: string | undefined;
  /** ST(i) for register forms. */
  readonly rm: number;
  /** Operand size (environment formats). */
  readonly opSize: 2 | 4 | 8;
  /** ModRM byte, for the FOP register (SDM Vol. 1 8.1.9). */
  readonly modrm: number;
  /** Segment of the memory operand. */
  readonly seg: Seg;
  readonly long: boolean;
  readonly realFormat: boolean;
}

/** Bytes the memory operand spans (for the segment limit check). */
export function memoryBytes(site: Pick<X87Site, 'mnemonic' | 'operand' | 'opSize'>): number {
  if (site.operand === undefined) return 0;
  return OPERAND_BYTES[site.operand] ?? controlOperandSize(site.mnemonic, site.opSize);
}

/** A memory operand at a linear address, read and written through the CPU's paging. */
function memoryAt(cpu: Cpu, lin: number, long: boolean): MemoryOperand {
  const at = (offset: number, size: number): number => {
    if (!long) return (lin + offset) % 0x1_0000_0000;
    const a = lin + offset;
    const bits = cpu.state.getLo('cr4') & Cr4.LA57 ? 57 : 48;
    if (!isCanonical(a, bits) || !isCanonical(a + size - 1, bits)) throw new GuestFault(Vector.GP, 0);
    return a;
  };
  return {
    read(offset, size) {
      const out: number[] = [];
      for (let k = 0; k < size; k += 4) {
        const n = Math.min(4, size - k);
        const [lo] = cpu.readLinear(at(offset + k, n), n);
        for (let b = 0; b < n; b++) out.push((lo >>> (8 * b)) & 0xff);
      }
      return out;
    },
    write(offset, bytes) {
      for (let k = 0; k < bytes.length; k += 4) {
        const n = Math.min(4, bytes.length - k);
        let v = 0;
        for (let b = n - 1; b >= 0; b--) v = v * 256 + bytes[k + b];
        cpu.writeLinear(at(offset + k, n), n, v >>> 0, 0);
      }
    },
  };
}

/**
 * Builds the cold-path function of one x87 instruction. `lin()` gives the memory operand's
 * linear address (computed and limit-checked by generated code).
 */
export function x87Instruction(site: X87Site): (cpu: Cpu, rip: number, lin: () => number) => void {
  const make = OPS[site.mnemonic];
  if (make === undefined) throw new Error(`x87: no semantics for ${site.mnemonic}`);
  const op = make(site.form);
  const waits = !NON_WAITING.has(site.mnemonic);
  const control = CONTROL.has(site.mnemonic);
  const fop = ((site.form.opcode & 7) << 8) | site.modrm;
  return (cpu, rip, lin) => {
    const s = cpu.state;
    const cr0 = s.getLo('cr0');
    // Table 2-2: EM or TS makes every x87 instruction raise #NM.
    if (cr0 & (Cr0.EM | Cr0.TS)) throw new GuestFault(Vector.NM, undefined);
    const fpu = new Fpu(s);
    if (waits) checkPending(cpu, fpu);
    const linear = site.operand === undefined ? 0 : lin();
    const ctx: X87Context = {
      fpu,
      mem: site.operand === undefined ? null : memoryAt(cpu, linear, site.long),
      i: site.rm,
      opSize: site.opSize,
      realFormat: site.realFormat,
      eflags: () => s.getLo('rflags'),
      setEflags: (v) => s.setLo('rflags', v),
      setAx: (v) => {
        s.u16[s.addr('gpr', 0) >>> 1] = v;
      },
    };
    op(ctx);
    if (!control) recordPointers(cpu, site, rip, fop, linear);
  };
}

/**
 * A waiting instruction with an unmasked exception pending (SW.ES) raises #MF when CR0.NE = 1
 * (SDM Vol. 1 8.7, Vol. 3A 6.15 Interrupt 16). With NE = 0 a PC reports it through FERR# and
 * IRQ 13; wasmkvm has no FERR# line, so the instruction runs as if IGNNE# were asserted and
 * the exception stays pending (Linux has required CR0.NE on every x86 it runs on since 2.6).
 */
function checkPending(cpu: Cpu, fpu: Fpu): void {
  if (fpu.sw & Sw.ES && cpu.state.getLo('cr0') & Cr0.NE) throw new GuestFault(Vector.MF, undefined);
}

/**
 * The pending-x87-exception check of a waiting instruction, for other units that make it:
 * MMX instructions raise #MF for a pending unmasked x87 exception (SDM Vol. 1 12.5.1 and the
 * MMX instruction pages, "#MF If there is a pending FPU exception").
 */
export function checkX87Pending(cpu: Cpu): void {
  checkPending(cpu, new Fpu(cpu.state));
}

/** FWAIT: #NM when CR0.MP and CR0.TS are both set (Table 2-2), else the pending-exception check. */
export function fwait(cpu: Cpu): void {
  const cr0 = cpu.state.getLo('cr0');
  if ((cr0 & (Cr0.MP | Cr0.TS)) === (Cr0.MP | Cr0.TS)) throw new GuestFault(Vector.NM, undefined);
  checkPending(cpu, new Fpu(cpu.state));
}

/**
 * FIP/FCS/FOP and, with a memory operand, FDP/FDS (SDM Vol. 1 8.1.8). In real and
 * virtual-8086 mode the pointers are 20-bit linear addresses (Figures 8-10, 8-12).
 */
function recordPointers(cpu: Cpu, site: X87Site, rip: number, fop: number, linear: number): void {
  const s = cpu.state;
  const real = site.realFormat;
  // In 64-bit mode RIP and the offset come in the signed form of paging/canonical.ts: exact, stored as 64-bit patterns.
  s.set64('fpuIp', BigInt.asUintN(64, BigInt(real ? (s.getNum('segBase', Seg.CS) + rip) % 0x1_0000_0000 : rip)));
  s.u16[s.addr('fpuCs') >>> 1] = s.getLo('segSel', Seg.CS);
  s.u16[s.addr('fpuFop') >>> 1] = fop;
  if (site.operand === undefined) return;
  const base = site.long && site.seg !== Seg.FS && site.seg !== Seg.GS ? 0 : s.getNum('segBase', site.seg);
  const offset = real ? linear : site.long ? linear - base : (linear - base + 0x1_0000_0000) % 0x1_0000_0000;
  s.set64('fpuDp', BigInt.asUintN(64, BigInt(offset)));
  s.u16[s.addr('fpuDs') >>> 1] = s.getLo('segSel', site.seg);
}

