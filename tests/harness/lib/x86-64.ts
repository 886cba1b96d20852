// Encoding helpers for the 64-bit case generator: REX (SDM Vol. 2A §2.2.1), ModRM/SIB with
// REX.R/X/B, RIP-relative addressing (§2.2.1.6), the 0x67 address-size prefix, byte
// registers SPL..DIL vs AH..BH (§2.2.1.2), and Builder64, which collects one case's state.
// Register numbers are encoding numbers 0..15 (RAX..R15); 16..19 name AH, CH, DH, BH, the
// legacy high-byte registers that exist only without a REX prefix.

import type { UndefinedContext } from '../../fixtures/cpu/undefined-flags.ts';
import { LAYOUT } from '../fixture-format.ts';
import { LAYOUT64, REGISTERS64, type Register64Name } from '../fixture-format64.ts';
import { Rng } from './rng.ts';
import { randomFlags } from './x86.ts';

export type Size64 = 8 | 16 | 32 | 64;
export const SIZES64: readonly Size64[] = [8, 16, 32, 64];
export const RAX = 0,
  RCX = 1,
  RDX = 2,
  RBX = 3,
  RSP = 4,
  RBP = 5,
  RSI = 6,
  RDI = 7;
/** AH CH DH BH: bits 15:8 of RAX..RBX, encoded as 4..7 without REX. */
export const AH = 16;

const N16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const N8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil'];
const HI8 = ['ah', 'ch', 'dh', 'bh'];

export function regName64(size: Size64, n: number): string {
  if (n >= AH) return HI8[n - AH] as string;
  if (n >= 8) return `r${n}${{ 8: 'b', 16: 'w', 32: 'd', 64: '' }[size]}`;
  if (size === 64) return REGISTERS64[n] as string;
  if (size === 32) return `e${N16[n]}`;
  return (size === 16 ? N16 : N8)[n] as string;
}
/** The full register a register number lives in. */
export const fullReg64 = (n: number): number => (n >= AH ? n - AH : n);
export const regKey = (n: number): Register64Name => REGISTERS64[fullReg64(n)] as Register64Name;
export const mask64 = (size: Size64): bigint => (1n << BigInt(size)) - 1n;
export const sign64 = (size: Size64): bigint => 1n << BigInt(size - 1);
export const sx64 = (v: bigint, size: Size64): bigint => BigInt.asUintN(64, BigInt.asIntN(size, v));
export const le64 = (v: bigint | number, bytes: number): number[] => {
  const x = BigInt.asUintN(64, BigInt(v));
  return Array.from({ length: bytes }, (_, i) => Number((x >> BigInt(8 * i)) & 0xffn));
};
export const hx = (v: bigint | number): string => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
export const ptr64 = (size: Size64 | 128): string =>
  ({ 8: 'byte', 16: 'word', 32: 'dword', 64: 'qword', 128: 'oword' })[size];

export function u64(rng: Rng): bigint {
  return (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
}

const edgeCache = new Map<Size64, bigint[]>();
/** 0, 1, 2, the sign boundaries, all-ones, and the smaller sizes' boundaries, at `size` bits. */
export function edges64(size: Size64): bigint[] {
  let e = edgeCache.get(size);
  if (e === undefined) {
    const m = mask64(size);
    const base = [0n, 1n, 2n];
    for (const s of [8, 16, 32, 64] as const)
      if (s <= size)
        base.push(sign64(s) - 1n, sign64(s), sign64(s) + 1n, mask64(s) - 1n, mask64(s), mask64(s) + 1n);
    e = [...new Set(base.map((v) => v & m))];
    edgeCache.set(size, e);
  }
  return e;
}

/** An operand value: an edge value with probability pEdge, else uniform. */
export function value64(rng: Rng, size: Size64, pEdge = 0.4): bigint {
  return rng.chance(pEdge) ? rng.pick(edges64(size)) : u64(rng) & mask64(size);
}

/** A ModRM operand, register or memory, with the REX bits it needs. */
export interface Operand64 {
  mod: number;
  rm: number;
  sib?: number;
  disp: number[];
  rexB: boolean;
  rexX: boolean;
  /** Needs a REX prefix (SPL..DIL) or must not have one (AH..BH). */
  rex?: 'need' | 'forbid';
  /** RIP-relative: the linear address it must reach (the displacement is fixed up when encoding). */
  ripTarget?: number;
  addr32: boolean;
  /** Segment-override prefix, if any. */
  seg?: number;
  text: string;
  memOffset?: number;
  /** Register number for a register operand. */
  n?: number;
}

export interface CaseSpec64 {
  asm: string;
  m: string;
  ctx: UndefinedContext;
  code: number[];
  regs: (bigint | undefined)[];
  rflags: number;
  mem?: Uint8Array;
}

export interface Encoding {
  /** Legacy prefixes before REX (66, F2, F3, F0, segment; 67 is added for addr32 operands). */
  pre?: number[];
  w?: boolean;
  opcode: number[];
  /** ModRM.reg: a register number (0..15, 16..19) or an opcode extension /digit. */
  reg: number;
  op: Operand64;
  imm?: number[];
  /** Offset of the instruction in the case's code (RIP-relative displacements depend on it). */
  at?: number;
  /** ModRM.reg names a byte register: 4..7 are SPL..DIL, which need a REX prefix. */
  byteReg?: boolean;
}

const SEGS = [0x26, 0x2e, 0x36, 0x3e]; // ES CS SS DS: no effect on the address in 64-bit mode
export const GS = 0x65;

/** Assemble one ModRM instruction: prefixes, REX, opcode, ModRM, SIB, displacement, immediate. */
export function encode(e: Encoding): number[] {
  const op = e.op;
  const rex = (e.w ? 8 : 0) | (e.reg >= 8 && e.reg < AH ? 4 : 0) | (op.rexX ? 2 : 0) | (op.rexB ? 1 : 0);
  const forbid = op.rex === 'forbid' || e.reg >= AH;
  const need = op.rex === 'need' || (e.byteReg === true && e.reg >= 4 && e.reg < 8);
  if (forbid && (rex !== 0 || need)) throw new Error('AH..BH cannot be encoded with REX');
  const pre = [...(e.pre ?? []), ...(op.seg !== undefined ? [op.seg] : []), ...(op.addr32 ? [0x67] : [])];
  const out = [...pre];
  if (rex !== 0 || need) out.push(0x40 | rex);
  const regBits = e.reg >= AH ? e.reg - 12 : e.reg & 7;
  out.push(...e.opcode, ((op.mod << 6) | (regBits << 3) | op.rm) & 0xff);
  if (op.sib !== undefined) out.push(op.sib);
  const dispAt = out.length;
  out.push(...op.disp, ...(e.imm ?? []));
  if (op.ripTarget !== undefined) {
    const next = LAYOUT.codeBase + (e.at ?? 0) + out.length;
    const d = op.ripTarget - next;
    out.splice(dispAt, 4, ...le64(BigInt(d), 4));
  }
  return out;
}

export class Builder64 {
  readonly regs: (bigint | undefined)[] = new Array<bigint | undefined>(16).fill(undefined);
  rflags: number;
  mem?: Uint8Array;
  private readonly busy = new Set<number>([RSP]);
  /** Byte registers 4..7 mean AH..BH (no REX anywhere in the instruction). */
  legacy = false;

  /**
   * `rng` draws values (registers, buffer, flags); `s` draws the encoding (registers used,
   * addressing form, displacements). Cases built with equal `s` streams share their bytes,
   * which lets the emulator-side runner reuse one compiled block for a group of cases.
   */
  constructor(
    readonly rng: Rng,
    readonly s: Rng = rng,
  ) {
    this.rflags = randomFlags(rng);
  }

  /** Registers a register operand of `size` may be drawn from. */
  pool(size: Size64): number[] {
    if (size === 8 && this.legacy) return [0, 1, 2, 3, 16, 17, 18, 19];
    return this.legacy ? [0, 1, 2, 3, 4, 5, 6, 7] : [...Array(16).keys()];
  }

  /** Put `v` into the size-bit register n; the other bits stay random. */
  set(size: Size64, n: number, v: bigint): this {
    const r = fullReg64(n);
    const cur = this.get(r);
    const m = mask64(size);
    const shift = n >= AH ? 8n : 0n;
    this.regs[r] = (cur & ~(m << shift)) | ((v & m) << shift);
    this.busy.add(r);
    return this;
  }

  get(n: number): bigint {
    return (this.regs[n] ??= u64(this.rng));
  }

  reserve(...ns: number[]): this {
    for (const n of ns) this.busy.add(fullReg64(n));
    return this;
  }

  isBusy(n: number): boolean {
    return this.busy.has(fullReg64(n));
  }

  flags(on: number, off = 0): this {
    this.rflags = ((this.rflags | on) & ~off) >>> 0;
    return this;
  }

  memory(): Uint8Array {
    return (this.mem ??= this.rng.bytes(LAYOUT.memSize));
  }

  write(off: number, bytes: number, v: bigint): this {
    this.memory().set(le64(v, bytes), off);
    return this;
  }

  read(off: number, bytes: number): bigint {
    const m = this.memory();
    let v = 0n;
    for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(m[off + i] as number);
    return v;
  }

  reg(size: Size64, n: number): Operand64 {
    const rex =
      n >= AH ? 'forbid' : size === 8 && n >= 4 && n < 8 ? 'need' : this.legacy ? 'forbid' : undefined;
    return {
      mod: 3,
      rm: n >= AH ? n - 12 : n & 7,
      disp: [],
      rexB: n >= 8 && n < AH,
      rexX: false,
      rex,
      addr32: false,
      text: regName64(size, n),
      n,
    };
  }

  /** A free register for a register operand of `size` (not busy, not RSP unless allowed). */
  pickReg(size: Size64, allowBusy = false): number {
    const free = this.pool(size).filter((n) => allowBusy || !this.isBusy(n));
    return this.s.pick(free.length ? free : this.pool(size));
  }

  private freeRegs(): number[] {
    const all = this.legacy ? [0, 1, 2, 3, 5, 6, 7] : [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    return all.filter((n) => !this.busy.has(n));
  }

  /**
   * A memory operand of `width` bits at buffer offset `off`, through a random 64-bit
   * addressing form (or, with probability pAddr32, a 32-bit one under 0x67) whose registers
   * are not busy; their values make the effective address land on the buffer. Now and then a
   * segment override: ES/CS/SS/DS (no effect in 64-bit mode) or GS (base LAYOUT64.gsBase).
   */
  memOp(width: Size64 | 128, off?: number, pAddr32 = 0.15, linear?: bigint): Operand64 {
    const rng = this.s;
    const bytes = width / 8;
    const o = off ?? rng.int(0, LAYOUT.memSize - bytes);
    this.memory();
    const addr32 = linear === undefined && rng.chance(pAddr32);
    const segRoll = rng.u32() % 10;
    const seg = segRoll === 0 ? rng.pick(SEGS) : segRoll === 1 ? GS : undefined;
    const target = LAYOUT.memBase + o - (seg === GS ? LAYOUT64.gsBase : 0);
    const free = this.freeRegs();
    if (linear !== undefined)
      return this.memOpAt(width, linear - (seg === GS ? BigInt(LAYOUT64.gsBase) : 0n), seg, free);
    const forms =
      free.length >= 2
        ? ['base', 'base8', 'base32', 'abs', 'rip', 'sib', 'sib8', 'sib32', 'sibNoBase', 'sibNoIndex']
        : free.length === 1
          ? ['base', 'base8', 'base32', 'abs', 'rip', 'sibNoIndex']
          : ['abs', 'rip'];
    const form = rng.pick(forms);
    const disp8 = rng.int(-128, 127);
    const disp32 = rng.chance(0.5) ? rng.int(-0x1000, 0x1000) : rng.u32() | 0;
    const aMask = addr32 ? 0xffff_ffffn : (1n << 64n) - 1n;
    const name = (n: number): string => (addr32 ? regName64(32, n) : regName64(64, n));
    /** Give register n the value whose low `width64` bits are v (upper bits random under 0x67). */
    const useReg = (n: number, v: bigint): string => {
      const hi = addr32 ? u64(rng) & ~0xffff_ffffn : 0n;
      this.regs[n] = hi | (BigInt.asUintN(64, v) & aMask);
      this.busy.add(n);
      return name(n);
    };
    const dt = (d: number): string => (d < 0 ? `-${hx(-d)}` : `+${hx(d)}`);
    const ptr = ptr64(width);
    const segText =
      seg === undefined
        ? ''
        : `${({ 0x26: 'es', 0x2e: 'cs', 0x36: 'ss', 0x3e: 'ds', 0x65: 'gs' } as Record<number, string>)[seg]}:`;
    const res = (mod: number, rm: number, extra: Partial<Operand64>, inner: string): Operand64 => ({
      mod,
      rm,
      disp: [],
      rexB: false,
      rexX: false,
      addr32,
      seg,
      text: `${ptr} ${segText}[${inner}]`,
      memOffset: o,
      rex: this.legacy ? 'forbid' : undefined,
      ...extra,
    });
    const T = BigInt(target);
    switch (form) {
      case 'abs':
        // SIB with no base (101, mod 00) and no index (100 without REX.X): disp32 alone.
        return res(
          0,
          4,
          {
            sib: (rng.int(0, 3) << 6) | (4 << 3) | 5,
            disp: le64(target, 4),
            rexB: !this.legacy && rng.chance(0.3),
          },
          hx(target),
        );
      case 'rip':
        // mod 00, r/m 101: RIP + disp32 (REX.B does not turn it into R13).
        return res(
          0,
          5,
          { disp: [0, 0, 0, 0], ripTarget: target, rexB: !this.legacy && rng.chance(0.3) },
          `${addr32 ? 'eip' : 'rip'}+${hx(target)}`,
        );
      case 'base': {
        const b = rng.pick(free);
        if ((b & 7) === 5) return res(1, 5, { disp: [0], rexB: b >= 8 }, `${useReg(b, T)}+0x0`);
        if ((b & 7) === 4) return res(0, 4, { sib: (4 << 3) | 4, rexB: b >= 8 }, useReg(b, T));
        return res(0, b & 7, { rexB: b >= 8 }, useReg(b, T));
      }
      case 'base8':
      case 'base32': {
        const b = rng.pick(free);
        const d = form === 'base8' ? disp8 : disp32;
        const mod = form === 'base8' ? 1 : 2;
        const sib = (b & 7) === 4 ? { sib: (4 << 3) | 4 } : {};
        return res(
          mod,
          (b & 7) === 4 ? 4 : b & 7,
          { ...sib, disp: le64(d, mod === 1 ? 1 : 4), rexB: b >= 8 },
          `${useReg(b, T - BigInt(d))}${dt(d)}`,
        );
      }
      case 'sibNoIndex': {
        // Index 100 without REX.X: none; the scale bits are then ignored.
        const b = rng.pick(free);
        const mod = (b & 7) === 5 ? rng.int(1, 2) : rng.int(0, 2);
        const d = mod === 0 ? 0 : mod === 1 ? disp8 : disp32;
        return res(
          mod,
          4,
          {
            sib: (rng.int(0, 3) << 6) | (4 << 3) | (b & 7),
            disp: mod === 0 ? [] : le64(d, mod === 1 ? 1 : 4),
            rexB: b >= 8,
          },
          `${useReg(b, T - BigInt(d))}${mod ? dt(d) : ''}`,
        );
      }
      default: {
        // 'sib', 'sib8', 'sib32', 'sibNoBase': index may be R12 (100 with REX.X), never RSP.
        const i = rng.pick(free);
        const ss = rng.int(0, 3);
        const iv = rng.chance(0.5) ? BigInt(rng.int(0, 15)) : u64(rng);
        const iText = `${useReg(i, iv)}*${1 << ss}`;
        const scaled = (this.regs[i] as bigint) << BigInt(ss);
        if (form === 'sibNoBase') {
          // mod 00, base 101: disp32 + index*scale; REX.B does not make it R13. A 64-bit
          // address needs index*scale within reach of a sign-extended disp32.
          if (!addr32 && BigInt.asUintN(64, scaled - T + 0x4000_0000n) > 0x7fff_ffffn) {
            this.regs[i] = BigInt(rng.int(0, 0xffff));
            return this.memOpNoBase(res, i, ss, T, `${name(i)}*${1 << ss}`);
          }
          return this.memOpNoBase(res, i, ss, T, iText);
        }
        const b = rng.pick(free.filter((n) => n !== i));
        let mod = form === 'sib' ? 0 : form === 'sib8' ? 1 : 2;
        if (mod === 0 && (b & 7) === 5) mod = 1; // mod 00 with base 101 means "no base"
        const d = mod === 0 ? 0 : mod === 1 ? disp8 : disp32;
        const bText = useReg(b, T - scaled - BigInt(d));
        return res(
          mod,
          4,
          {
            sib: (ss << 6) | ((i & 7) << 3) | (b & 7),
            disp: mod === 0 ? [] : le64(d, mod === 1 ? 1 : 4),
            rexX: i >= 8,
            rexB: b >= 8,
          },
          `${bText}+${iText}${mod ? dt(d) : ''}`,
        );
      }
    }
  }

  /**
   * A memory operand whose effective address is `ea` (any 64-bit value: non-canonical ones
   * test #GP/#SS), through a base register, base + disp, base + index*scale (no RIP-relative
   * or absolute forms, which cannot reach far addresses).
   */
  private memOpAt(width: Size64 | 128, ea: bigint, seg: number | undefined, free: number[]): Operand64 {
    const rng = this.s;
    const b = rng.pick(free);
    const d = rng.pick([0, rng.int(-128, 127), rng.u32() | 0]);
    const mod = d === 0 && (b & 7) !== 5 ? 0 : d >= -128 && d <= 127 ? 1 : 2;
    const withIndex = free.length >= 2 && rng.chance(0.4);
    const segText =
      seg === undefined
        ? ''
        : `${({ 0x26: 'es', 0x2e: 'cs', 0x36: 'ss', 0x3e: 'ds', 0x65: 'gs' } as Record<number, string>)[seg]}:`;
    let scaled = 0n;
    let sib: number | undefined;
    let iText = '';
    let rexX = false;
    if (withIndex) {
      const i = rng.pick(free.filter((n) => n !== b));
      const ss = rng.int(0, 3);
      this.regs[i] = BigInt(rng.int(0, 0xffff));
      this.busy.add(i);
      scaled = (this.regs[i] as bigint) << BigInt(ss);
      sib = (ss << 6) | ((i & 7) << 3) | (b & 7);
      iText = `+${regName64(64, i)}*${1 << ss}`;
      rexX = i >= 8;
    } else if ((b & 7) === 4) sib = (4 << 3) | 4;
    this.regs[b] = BigInt.asUintN(64, ea - scaled - BigInt(d));
    this.busy.add(b);
    const dText = mod === 0 ? '' : d < 0 ? `-${hx(-d)}` : `+${hx(d)}`;
    return {
      mod,
      rm: sib !== undefined ? 4 : b & 7,
      sib,
      disp: mod === 0 ? [] : le64(d, mod === 1 ? 1 : 4),
      rexB: b >= 8,
      rexX,
      addr32: false,
      seg,
      text: `${ptr64(width)} ${segText}[${regName64(64, b)}${iText}${dText}]`,
      memOffset: 0,
    };
  }

  private memOpNoBase(
    res: (mod: number, rm: number, extra: Partial<Operand64>, inner: string) => Operand64,
    i: number,
    ss: number,
    target: bigint,
    iText: string,
  ): Operand64 {
    const d = Number(BigInt.asIntN(32, target - ((this.regs[i] as bigint) << BigInt(ss))));
    const dt = d < 0 ? `-${hx(-d)}` : `+${hx(d)}`;
    const rexB = !this.legacy && this.s.chance(0.3);
    return res(
      0,
      4,
      { sib: (ss << 6) | ((i & 7) << 3) | 5, disp: le64(d, 4), rexX: i >= 8, rexB },
      `${iText}${dt}`,
    );
  }

  /** A register (probability 1 - pMem) or memory operand of this size. */
  rm(size: Size64, pMem: number, pool?: readonly number[]): Operand64 {
    if (this.s.chance(pMem)) return this.memOp(size);
    return this.reg(size, this.s.pick(pool ?? this.pool(size)));
  }

  put(size: Size64, op: Operand64, v: bigint): this {
    if (op.memOffset !== undefined) return this.write(op.memOffset, size / 8, v);
    return this.set(size, op.n as number, v);
  }

  build(asm: string, m: string, ctx: UndefinedContext, code: number[]): CaseSpec64 {
    if (code.length > 60) throw new Error(`${asm}: ${code.length} bytes of code`);
    return {
      asm,
      m,
      ctx,
      code,
      regs: [...this.regs],
      rflags: this.rflags,
      mem: this.mem ? new Uint8Array(this.mem) : undefined,
    };
  }
}

/** ctx.dest / ctx.destMem of an operand. */
export function destOf64(op: Operand64): Pick<UndefinedContext, 'dest' | 'destMem'> {
  if (op.memOffset !== undefined) return { destMem: op.memOffset };
  return { dest: regKey(op.n as number) };
}

/** Operand-size prefix and REX.W for a size (SDM Vol. 2A §2.2.1.2): 66 for 16, REX.W for 64. */
export const sizePre = (size: Size64): { pre: number[]; w: boolean } => ({
  pre: size === 16 ? [0x66] : [],
  w: size === 64,
});

/** Cases in groups that share their encoding: `perGroup` cases per structure stream. */
export function grouped<T>(
  rng: Rng,
  tag: string,
  groups: number,
  perGroup: number,
  make: (s: Rng, g: number, k: number) => T,
): T[] {
  const out: T[] = [];
  for (let g = 0; g < groups; g++) {
    const seed = `${tag}/${g}/${rng.u32()}`;
    for (let k = 0; k < perGroup; k++) out.push(make(new Rng(seed), g, k));
  }
  return out;
}

/** A VEX-encoded instruction (SDM Vol. 2A §2.3.5): C4 RXBmmmmm Wvvvvlpp, opcode, ModRM... */
export interface VexEncoding {
  /** 1: 0F, 2: 0F38, 3: 0F3A. */
  map: 1 | 2 | 3;
  /** Implied prefix: 0 none, 1 66, 2 F3, 3 F2. */
  pp: 0 | 1 | 2 | 3;
  w: boolean;
  /** The register VEX.vvvv names (0..15), 0 when unused. */
  vvvv: number;
  opcode: number;
  reg: number;
  op: Operand64;
  imm?: number[];
}

export function encodeVex(e: VexEncoding): number[] {
  const op = e.op;
  const pre = [...(op.seg !== undefined ? [op.seg] : []), ...(op.addr32 ? [0x67] : [])];
  const r = e.reg >= 8 ? 0 : 1;
  const x = op.rexX ? 0 : 1;
  const b = op.rexB ? 0 : 1;
  const out = [
    ...pre,
    0xc4,
    (r << 7) | (x << 6) | (b << 5) | e.map,
    ((e.w ? 1 : 0) << 7) | ((~e.vvvv & 15) << 3) | e.pp,
    e.opcode,
  ];
  out.push(((op.mod << 6) | ((e.reg & 7) << 3) | op.rm) & 0xff);
  if (op.sib !== undefined) out.push(op.sib);
  const dispAt = out.length;
  out.push(...op.disp, ...(e.imm ?? []));
  if (op.ripTarget !== undefined)
    out.splice(dispAt, 4, ...le64(BigInt(op.ripTarget - (LAYOUT.codeBase + out.length)), 4));
  return out;
}
