// Encoding helpers for the case generator: register names, ModRM/SIB operands that land in
// the memory buffer, value pools with the directed edge values, and CaseBuilder, which
// collects one case's initial state. Encodings follow SDM Vol. 2A §2.1 (ModRM, SIB,
// displacement) and Tables 2-1/2-2 (16- and 32-bit addressing forms).

import type { UndefinedContext } from '../../fixtures/cpu/undefined-flags.ts';
import { AF, CF, DF, OF, PF, SF, ZF } from '../../fixtures/cpu/undefined-flags.ts';
import { EFLAGS_FIXED, IF, LAYOUT, type RegisterName, type Registers } from '../fixture-format.ts';
import type { Rng } from './rng.ts';

export type Size = 8 | 16 | 32;

/** Register numbers in ModRM.reg/rm encoding order (SDM Vol. 2A §2.1.5, Table 2-2). */
export const EAX = 0,
  ECX = 1,
  EDX = 2,
  EBX = 3,
  ESP = 4,
  EBP = 5,
  ESI = 6,
  EDI = 7;
export const R32: readonly RegisterName[] = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
export const SIZES: readonly Size[] = [8, 16, 32];

export const regName = (size: Size, n: number): string =>
  (size === 32 ? R32 : size === 16 ? R16 : R8)[n] as string;
/** The 32-bit register an encoding number names at this size (AH..BH live in EAX..EBX). */
export const fullReg = (size: Size, n: number): number => (size === 8 ? n & 3 : n);
export const maskOf = (size: Size): number => (size === 32 ? 0xffffffff : (1 << size) - 1);
export const signBit = (size: Size): number => (size === 32 ? 0x80000000 : 1 << (size - 1));
export const ptrWord = (size: Size | 64): string =>
  ({ 8: 'byte', 16: 'word', 32: 'dword', 64: 'qword' })[size];
/** The operand-size prefix that selects 16-bit operands in 32-bit code (SDM Vol. 2A §2.1.1). */
export const osize = (size: Size): number[] => (size === 16 ? [0x66] : []);
/** Sign-extend the low `size` bits to a JS number. */
export const sext = (v: number, size: Size): number =>
  size === 32 ? v | 0 : (v << (32 - size)) >> (32 - size);
export const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
export const le = (v: number, bytes: number): number[] =>
  Array.from({ length: bytes }, (_, i) => (v >>> (8 * i)) & 0xff);
export const modrm = (mod: number, reg: number, rm: number): number => (mod << 6) | (reg << 3) | rm;

const EDGES32 = [
  0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001,
  0xfffffffe, 0xffffffff,
];
const edgeCache = new Map<Size, number[]>();
/** The directed edge values of a size: 0, 1, the sign boundaries and all-ones (the 8/16-bit ones too). */
export function edges(size: Size): number[] {
  let e = edgeCache.get(size);
  if (e === undefined) {
    const m = maskOf(size);
    const s = signBit(size);
    e = [...new Set([...EDGES32.map((v) => (v & m) >>> 0), s - 1, s, s + 1, m - 1, m].map((v) => v >>> 0))];
    edgeCache.set(size, e);
  }
  return e;
}

/** An operand value: an edge value with probability pEdge, else uniform. */
export function value(rng: Rng, size: Size, pEdge = 0.4): number {
  return rng.chance(pEdge) ? rng.pick(edges(size)) : (rng.u32() & maskOf(size)) >>> 0;
}

/** A value with few significant bits (products that fit, quotients near the boundaries). */
export function smallValue(rng: Rng, size: Size): number {
  const bits = rng.int(0, size / 2);
  const v = rng.u32() & ((1 << bits) - 1 || 0);
  return (rng.chance(0.5) ? -v : v) & maskOf(size);
}

const STATUS_BITS = CF | PF | AF | ZF | SF | OF;
/** Random status flags, DF now and then, plus IF and bit 1 (what the host really runs with). */
export function randomFlags(rng: Rng): number {
  return (rng.u32() & STATUS_BITS) | (rng.chance(0.25) ? DF : 0) | IF | EFLAGS_FIXED;
}

/** An operand as ModRM sees it: mod and rm bits, the SIB/displacement bytes after ModRM. */
export interface Operand {
  mod: number;
  rm: number;
  tail: number[];
  text: string;
  /** For a memory operand: its byte offset in the buffer. */
  memOffset?: number;
}

/** What the generator hands to the recorder: one case before it ran. */
export interface CaseSpec {
  asm: string;
  m: string;
  ctx: UndefinedContext;
  code: number[];
  init: Partial<Registers>;
  mem?: Uint8Array;
}

export const MAX_CODE = 60;

export class CaseBuilder {
  readonly regs: Partial<Record<RegisterName, number>> = {};
  eflags: number;
  mem?: Uint8Array;
  /** Encoding numbers of registers whose value the case depends on: memory operands avoid them. */
  private readonly busy = new Set<number>([ESP]);

  constructor(readonly rng: Rng) {
    this.eflags = randomFlags(rng);
  }

  /** Put `v` into the size-bit register n (8-bit n = 4..7 is AH..BH); other bits stay random. */
  set(size: Size, n: number, v: number): this {
    const r = fullReg(size, n);
    const name = R32[r] as RegisterName;
    const cur = this.regs[name] ?? this.rng.u32();
    let out: number;
    if (size === 32) out = v;
    else if (size === 16) out = (cur & 0xffff0000) | (v & 0xffff);
    else if (n < 4) out = (cur & ~0xff) | (v & 0xff);
    else out = (cur & ~0xff00) | ((v & 0xff) << 8);
    this.regs[name] = out >>> 0;
    this.busy.add(r);
    return this;
  }

  /** The current 32-bit value of register n (giving it a random one first if it has none). */
  get(n: number): number {
    const name = R32[n] as RegisterName;
    return (this.regs[name] ??= this.rng.u32());
  }

  /** Mark a register as meaningful (an implicit operand) so memory operands keep off it. */
  reserve(...ns: number[]): this {
    for (const n of ns) this.busy.add(n);
    return this;
  }

  isBusy(n: number): boolean {
    return this.busy.has(n);
  }

  /** Force status flags on and off after the random choice. */
  flags(on: number, off = 0): this {
    this.eflags = ((this.eflags | on) & ~off) >>> 0;
    return this;
  }

  /** The buffer, created with random contents on first use. */
  memory(): Uint8Array {
    return (this.mem ??= this.rng.bytes(LAYOUT.memSize));
  }

  write(off: number, bytes: number, v: number): this {
    const m = this.memory();
    for (let i = 0; i < bytes; i++) m[off + i] = (v >>> (8 * i)) & 0xff;
    return this;
  }

  read(off: number, bytes: number): number {
    const m = this.memory();
    let v = 0;
    for (let i = 0; i < bytes; i++) v |= (m[off + i] as number) << (8 * i);
    return v >>> 0;
  }

  reg(size: Size, n: number): Operand {
    return { mod: 3, rm: n, tail: [], text: regName(size, n) };
  }

  private freeRegs(): number[] {
    return [EAX, ECX, EDX, EBX, EBP, ESI, EDI].filter((n) => !this.busy.has(n));
  }

  /**
   * A memory operand of `bytes` bytes at buffer offset `off` (random if omitted), through a
   * random 32-bit addressing form whose base/index registers are not busy; their values are
   * chosen so the effective address (mod 2^32) lands on the buffer.
   */
  mem32(width: Size | 64, off?: number): Operand {
    const bytes = width / 8;
    const o = off ?? this.rng.int(0, LAYOUT.memSize - bytes);
    this.memory();
    const addr = LAYOUT.memBase + o;
    const free = this.freeRegs();
    const word = ptrWord(width);
    const forms =
      free.length >= 2
        ? ['base', 'base8', 'base32', 'abs', 'sib', 'sib8', 'sib32', 'sibNoBase', 'sibNoIndex']
        : free.length === 1
          ? ['base', 'base8', 'base32', 'abs', 'sibNoIndex']
          : ['abs'];
    const form = this.rng.pick(forms);
    const disp8 = this.rng.int(-128, 127);
    const disp32 = this.rng.chance(0.5) ? this.rng.int(-0x1000, 0x1000) : this.rng.u32() | 0;
    const d8 = le(disp8, 1);
    const d32 = le(disp32, 4);
    const useReg = (n: number, v: number): string => {
      this.regs[R32[n] as RegisterName] = v >>> 0;
      this.busy.add(n);
      return R32[n] as string;
    };
    const dispText = (d: number): string => (d < 0 ? `-${hex(-d)}` : `+${hex(d)}`);
    const result = (mod: number, rm: number, tail: number[], inner: string): Operand => ({
      mod,
      rm,
      tail,
      text: `${word} [${inner}]`,
      memOffset: o,
    });

    switch (form) {
      case 'abs':
        return result(0, 5, le(addr, 4), hex(addr));
      case 'base': {
        const b = this.rng.pick(free.filter((n) => n !== EBP).length ? free.filter((n) => n !== EBP) : free);
        if (b === EBP) return result(1, b, [0], `${useReg(b, addr)}+0x0`);
        return result(0, b, [], useReg(b, addr));
      }
      case 'base8': {
        const b = this.rng.pick(free);
        return result(1, b, d8, `${useReg(b, addr - disp8)}${dispText(disp8)}`);
      }
      case 'base32': {
        const b = this.rng.pick(free);
        return result(2, b, d32, `${useReg(b, addr - disp32)}${dispText(disp32)}`);
      }
      case 'sibNoIndex': {
        // SIB with index = 100b (none): the base alone, the encoding ESP-based addressing needs.
        const b = this.rng.pick(free);
        const ss = this.rng.int(0, 3);
        const mod = b === EBP ? 1 : this.rng.int(0, 2);
        const disp = mod === 0 ? 0 : mod === 1 ? disp8 : disp32;
        const name = useReg(b, addr - disp);
        return result(
          mod,
          4,
          [(ss << 6) | (4 << 3) | b, ...(mod === 1 ? d8 : mod === 2 ? d32 : [])],
          `${name}${mod ? dispText(disp) : ''}`,
        );
      }
      default: {
        // 'sib' (no displacement), 'sib8', 'sib32', 'sibNoBase' (mod 00, base 101: disp32 + index*scale).
        const i = this.rng.pick(free);
        const ss = this.rng.int(0, 3);
        const indexValue = this.rng.chance(0.5) ? this.rng.int(0, 15) : this.rng.u32();
        const scaled = Math.imul(indexValue, 1 << ss);
        const iText = `${useReg(i, indexValue)}*${1 << ss}`;
        if (form === 'sibNoBase') {
          const d = addr - scaled;
          return result(0, 4, [(ss << 6) | (i << 3) | 5, ...le(d, 4)], `${iText}${dispText(d | 0)}`);
        }
        const rest = free.filter((n) => n !== i);
        const b = this.rng.pick(rest);
        let mod = form === 'sib' ? 0 : form === 'sib8' ? 1 : 2;
        if (mod === 0 && b === EBP) mod = 1; // mod 00 with base 101 means "no base"
        const disp = mod === 0 ? 0 : mod === 1 ? disp8 : disp32;
        const bText = useReg(b, addr - scaled - disp);
        return result(
          mod,
          4,
          [(ss << 6) | (i << 3) | b, ...(mod === 1 ? d8 : mod === 2 ? d32 : [])],
          `${bText}+${iText}${mod ? dispText(disp) : ''}`,
        );
      }
    }
  }

  /** A register (probability 1 - pMem) or memory operand of this size; registers come from `regs`. */
  rm(size: Size, pMem: number, regs: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7]): Operand {
    if (this.rng.chance(pMem)) return this.mem32(size);
    return this.reg(size, this.rng.pick(regs));
  }

  /** Store `v` in a register or memory operand. */
  put(size: Size, op: Operand, v: number): this {
    if (op.memOffset !== undefined) return this.write(op.memOffset, size / 8, v);
    return this.set(size, op.rm, v);
  }

  build(asm: string, m: string, ctx: UndefinedContext, code: number[]): CaseSpec {
    if (code.length > MAX_CODE) throw new Error(`${asm}: ${code.length} bytes of code`);
    return {
      asm,
      m,
      ctx,
      code,
      init: { ...this.regs, eflags: this.eflags },
      mem: this.mem ? new Uint8Array(this.mem) : undefined,
    };
  }
}

/** ModRM + tail for `reg` and an operand. */
export const modrmBytes = (reg: number, op: Operand): number[] => [modrm(op.mod, reg, op.rm), ...op.tail];

/** The ctx.dest / ctx.destMem of an operand. */
export function destOf(size: Size, op: Operand): Pick<UndefinedContext, 'dest' | 'destMem'> {
  if (op.memOffset !== undefined) return { destMem: op.memOffset };
  return { dest: R32[fullReg(size, op.rm)] as RegisterName };
}
