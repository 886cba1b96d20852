// Instruction decoder: prefixes, REX, opcode maps, ModRM/SIB, displacement and immediates
// (SDM Vol. 2A chapter 2, "Instruction Format"). Reads the opcode table and nothing else.
import { Seg } from './registers.ts';
import {
  ONE_BYTE, ONE_BYTE_64, XCHG_90_REX_B, THREE_BYTE_38, THREE_BYTE_3A, TWO_BYTE, VEX_MAPS, isGroup, isPrefixSelect,
  type MandatoryPrefix, type OpcodeEntry, type OpcodeForm, type OpcodeGroup, type Operand,
} from './opcodes.ts';

export type CodeSize = 2 | 4 | 8;

export interface MemOperand {
  /** Base register or -1. */
  readonly base: number;
  /** Index register or -1. */
  readonly index: number;
  readonly scale: 1 | 2 | 4 | 8;
  /** Signed displacement. */
  readonly disp: number;
  /** Segment after overrides and the SS default for BP/SP-based forms (SDM Vol. 1 3.7.4). */
  readonly seg: Seg;
  /** RIP-relative (64-bit mode, mod 00 rm 101): disp is relative to the next instruction. */
  readonly ripRelative: boolean;
}

export interface Instr {
  /** Byte length (1..15). */
  readonly length: number;
  readonly form: OpcodeForm;
  /** Opcode: 0x00-0xff one-byte, 0x100-0x1ff for 0F xx, 0x200-0x2ff for 0F 38 xx, 0x300-0x3ff for 0F 3A xx (VEX: by VEX.mmmmm the same way). */
  readonly opcode: number;
  /** The prefix that selected the form (SDM Vol. 2A 2.1.2); it no longer acts as operand-size or REP. */
  readonly mandatory: MandatoryPrefix;
  /** VEX fields, or null for a legacy encoding. */
  readonly vex: VexFields | null;
  /** Effective operand size for "v" operands. */
  readonly opSize: 2 | 4 | 8;
  readonly addrSize: 2 | 4 | 8;
  readonly lock: boolean;
  /** 0xf3 (REP/REPE), 0xf2 (REPNE) or 0. */
  readonly repPrefix: 0 | 0xf2 | 0xf3;
  /** Explicit segment override or -1. */
  readonly segOverride: number;
  /** REX byte or 0. Any REX changes the byte registers 4-7 from AH..BH to SPL..DIL. */
  readonly rex: number;
  readonly mod: number;
  /** ModRM.reg extended by REX.R (or the opcode register for Zb/Zv forms, extended by REX.B). */
  readonly reg: number;
  /** ModRM.rm extended by REX.B when mod == 3. */
  readonly rm: number;
  readonly mem: MemOperand | null;
  /** First immediate (sign- or zero-extended as the form says), as a JS number (imm64: see imm64). */
  readonly imm: number;
  /** Full 64-bit immediate of MOV r64, imm64. */
  readonly imm64: bigint;
  /** Second immediate: ENTER's nesting level, the selector of a far pointer. */
  readonly imm2: number;
  /** Absolute moffs address for Ob/Ov forms. */
  readonly moffs: number;
}

/** The fields of a VEX prefix (SDM Vol. 2A 2.3.5-2.3.6), un-inverted. */
export interface VexFields {
  /** VEX.L: 0 = 128-bit (or scalar/GPR), 1 = 256-bit. */
  readonly l: 0 | 1;
  readonly w: boolean;
  /** The register VEX.vvvv names (in 32-bit mode only 0-7). */
  readonly vvvv: number;
  /**
   * All four bits of VEX.vvvv, un-inverted, in every mode: a form that does not use the field
   * needs 1111b (0 here) even where bit 3 does not name a register (RORX; checked on the host).
   */
  readonly vvvvRaw: number;
}

export type DecodeResult =
  | { ok: true; instr: Instr }
  | { ok: false; fault: 'ud' | 'gp'; length: number; opcode: number };

export interface DecodeMode {
  /** Default code size: 2 (16-bit), 4 (32-bit) or 8 (64-bit mode). */
  codeSize: CodeSize;
}

/** Fetches the byte at `offset` bytes from the instruction start (throws a guest fault on #PF). */
export type FetchByte = (offset: number) => number;

const MAX_LENGTH = 15;

const SEG_PREFIX: Record<number, Seg> = { 0x26: Seg.ES, 0x2e: Seg.CS, 0x36: Seg.SS, 0x3e: Seg.DS, 0x64: Seg.FS, 0x65: Seg.GS };

/**
 * ModRM-encoded operands: E G M R S C D and the SIMD V W U P Q N with a size (Eb, Gv, Sw,
 * Cd, Mp, Wps, Vx...) or a bare M. Fixed registers (CS, DX, SS...) have no lower-case size.
 */
function operandsNeedModrm(ops: readonly Operand[]): boolean {
  return ops.some((o) => o === 'M' || /^[EGMRSCDVWUPQN][a-z]+$/.test(o));
}

/** What decode() asks of a table entry's operands, worked out once per entry (the tests are regular expressions). */
interface OperandTraits {
  needModrm: boolean;
  /** An M operand: a register ModRM is #UD. */
  memoryOnly: boolean;
  /** A U or N operand: a memory ModRM is #UD. */
  registerOnly: boolean;
  /** MOV to/from CRn/DRn. */
  controlOrDebug: boolean;
}

const TRAITS = new Map<OpcodeForm | OpcodeGroup, OperandTraits>();

function traitsOf(e: OpcodeForm | OpcodeGroup): OperandTraits {
  let t = TRAITS.get(e);
  if (t !== undefined) return t;
  const ops = isGroup(e) ? [] : e.operands;
  t = {
    needModrm: isGroup(e) || operandsNeedModrm(ops),
    memoryOnly: ops.some((o) => o[0] === 'M'),
    registerOnly: ops.some((o) => /^[UN][a-z]+$/.test(o)),
    controlOrDebug: ops.includes('Cd') || ops.includes('Dd'),
  };
  TRAITS.set(e, t);
  return t;
}

/** The form a (non-prefix-select) entry gives for this ModRM, or undefined (#UD). */
function resolveForm(e: OpcodeForm | OpcodeGroup, mod: number, reg: number, rm: number): OpcodeForm | undefined {
  if (!isGroup(e)) return e;
  const byRm = mod === 3 ? e.byRegRm?.[reg] : undefined;
  return byRm ? byRm[rm] : e.byReg[reg];
}

const VEX_PP: readonly MandatoryPrefix[] = ['none', '66', 'F3', 'F2'];

export function decode(fetch: FetchByte, mode: DecodeMode): DecodeResult {
  const long = mode.codeSize === 8;
  const c = new ByteCursor(fetch);
  try {
    let opsizePrefix = false;
    let addrPrefix = false;
    let lock = false;
    let repPrefix: 0 | 0xf2 | 0xf3 = 0;
    let segOverride = -1;
    let rex = 0;
    let b = c.next();
    for (;;) {
      // REX is a prefix too: one followed by a legacy prefix is ignored, and of several REX
      // prefixes the last counts (SDM Vol. 2A 2.2.1, "Only one REX prefix is allowed ... must
      // immediately precede the opcode"; real CPUs ignore the others rather than fault).
      if (long && (b & 0xf0) === 0x40) {
        rex = b;
        b = c.next();
        continue;
      }
      if (b === 0x66) opsizePrefix = true;
      else if (b === 0x67) addrPrefix = true;
      else if (b === 0xf0) lock = true;
      else if (b === 0xf2 || b === 0xf3) repPrefix = b;
      else if (b in SEG_PREFIX) {
        // In 64-bit mode ES/CS/SS/DS overrides are ignored (SDM Vol. 1 3.3.7.1).
        const s = SEG_PREFIX[b];
        if (!long || s === Seg.FS || s === Seg.GS) segOverride = s;
      } else break;
      rex = 0; // a REX prefix only counts immediately before the opcode
      b = c.next();
    }
    let opcode = b;
    let entry: OpcodeEntry | undefined = (long && ONE_BYTE_64[b]) || ONE_BYTE[b];
    // 90 is NOP only without REX.B; with it, XCHG r8, rAX (SDM Vol. 2B NOP and XCHG "90+rd").
    if (b === 0x90 && (rex & 1) !== 0) entry = XCHG_90_REX_B;
    let vex: VexFields | null = null;
    let vexPrefix: MandatoryPrefix = 'none';
    // C4/C5 are VEX in 64-bit mode; elsewhere only when the next byte has mod == 11, which
    // LES/LDS (memory-only) cannot have (SDM Vol. 2A 2.3.5).
    if ((b === 0xc4 || b === 0xc5) && (long || fetch(c.pos) >> 6 === 3)) {
      // VEX after 66, F2, F3, LOCK or REX is #UD (SDM Vol. 2A 2.3.2).
      if (opsizePrefix || repPrefix !== 0 || lock || rex !== 0) return { ok: false, fault: 'ud', length: c.pos, opcode };
      const b1 = c.next();
      let map = 1;
      let w = false;
      let r = (b1 & 0x80) === 0;
      let x = false;
      let bb = false;
      let p2 = b1;
      if (b === 0xc4) {
        x = (b1 & 0x40) === 0;
        bb = (b1 & 0x20) === 0;
        map = b1 & 0x1f;
        p2 = c.next();
        w = (p2 & 0x80) !== 0;
      }
      const vvvvRaw = (~p2 >> 3) & 15;
      let vvvv = vvvvRaw;
      // Outside 64-bit mode VEX.R/X are 1 by the mod check, VEX.B and VEX.W-as-REX.W and
      // vvvv bit 3 are ignored (SDM Vol. 2A 2.3.5, 2.3.6).
      if (!long) {
        r = x = bb = false;
        vvvv &= 7;
      }
      vex = { l: ((p2 >> 2) & 1) as 0 | 1, w, vvvv, vvvvRaw };
      vexPrefix = VEX_PP[p2 & 3];
      if (map < 1 || map > 3) return { ok: false, fault: 'ud', length: c.pos, opcode };
      const op = c.next();
      opcode = (map << 8) | op;
      entry = VEX_MAPS[map as 1 | 2 | 3][op];
      if (long) rex = 0x40 | (w ? 8 : 0) | (r ? 4 : 0) | (x ? 2 : 0) | (bb ? 1 : 0);
    } else if (b === 0x0f) {
      const b2 = c.next();
      if (b2 === 0x38 || b2 === 0x3a) {
        const b3 = c.next();
        opcode = (b2 === 0x38 ? 0x200 : 0x300) | b3;
        entry = (b2 === 0x38 ? THREE_BYTE_38 : THREE_BYTE_3A)[b3];
      } else {
        opcode = 0x100 | b2;
        entry = TWO_BYTE[b2];
      }
    }
    if (entry === undefined) return { ok: false, fault: 'ud', length: c.pos, opcode };

    // The forms to try, in the SDM's order of precedence for mandatory prefixes.
    const candidates: [OpcodeForm | OpcodeGroup, MandatoryPrefix][] = [];
    if (isPrefixSelect(entry)) {
      const m = entry.mandatory;
      const rp: MandatoryPrefix | undefined = repPrefix === 0xf3 ? 'F3' : repPrefix === 0xf2 ? 'F2' : undefined;
      if (vex) {
        const e = m[vexPrefix];
        if (e) candidates.push([e, vexPrefix]);
      } else {
        if (rp && m[rp]) candidates.push([m[rp], rp]);
        if (opsizePrefix && m['66']) candidates.push([m['66'], '66']);
        if (m.none) candidates.push([m.none, 'none']);
      }
    } else if (!vex || vexPrefix === 'none') candidates.push([entry, 'none']);
    if (candidates.length === 0) return { ok: false, fault: 'ud', length: c.pos, opcode };

    const rexW = (rex & 8) !== 0;
    const rexR = (rex & 4) !== 0 ? 8 : 0;
    const rexX = (rex & 2) !== 0 ? 8 : 0;
    const rexB = (rex & 1) !== 0 ? 8 : 0;

    const defaultAddr: 2 | 4 | 8 = mode.codeSize;
    const addrSize: 2 | 4 | 8 = addrPrefix ? (long ? 4 : defaultAddr === 2 ? 4 : 2) : defaultAddr;

    let mod = 3;
    let regField = 0;
    let rmField = 0;
    const needModrm = traitsOf(candidates[0][0]).needModrm;
    if (needModrm) {
      const modrm = c.next();
      mod = modrm >> 6;
      regField = (modrm >> 3) & 7;
      rmField = modrm & 7;
    }
    let form: OpcodeForm | undefined;
    let mandatory: MandatoryPrefix = 'none';
    for (const [e, p] of candidates) {
      form = resolveForm(e, mod, regField, rmField);
      if (form !== undefined) {
        mandatory = p;
        break;
      }
    }
    if (form === undefined) return { ok: false, fault: 'ud', length: c.pos, opcode };
    if (long && form.no64) return { ok: false, fault: 'ud', length: c.pos, opcode };
    if (mandatory === '66') opsizePrefix = false;
    if (mandatory === 'F2' || mandatory === 'F3') repPrefix = 0;

    let opSize: 2 | 4 | 8;
    if (vex) opSize = long && vex.w ? 8 : 4;
    else if (long && rexW) opSize = 8;
    else if (long && form.d64) opSize = opsizePrefix ? 2 : 8;
    else opSize = mode.codeSize === 2 ? (opsizePrefix ? 4 : 2) : opsizePrefix ? 2 : 4;

    // MOV to/from CRn/DRn: the mod bits are ignored and r/m always names a general-purpose
    // register, with no SIB or displacement (SDM Vol. 2B MOV—Move to/from Control Registers).
    const traits = traitsOf(form);
    if (traits.controlOrDebug) mod = 3;
    let mem: MemOperand | null = null;
    let moffs = 0;
    if (needModrm && mod !== 3) mem = decodeMem(c, mod, rmField, addrSize, long, rexX, rexB, segOverride);
    const ops = form.operands;
    // Memory-only operands with a register, register-only SIMD operands with memory: #UD.
    if (traits.memoryOnly && mod === 3) return { ok: false, fault: 'ud', length: c.pos, opcode };
    if (traits.registerOnly && mod !== 3) return { ok: false, fault: 'ud', length: c.pos, opcode };

    let reg = regField + rexR;
    let rm = rmField + (mod === 3 ? rexB : 0);
    // Register in the opcode's low three bits (Zb/Zv: PUSH r, MOV r, imm, BSWAP, XCHG).
    if (ops[0] === 'Zb' || ops[0] === 'Zv') {
      reg = (opcode & 7) + rexB;
      rm = reg;
    }
    if (ops[0] === 'Sw' || ops[1] === 'Sw') reg = regField; // no REX extension of Sreg
    if ((ops[0] === 'Sw' && (regField > 5 || regField === Seg.CS)) || (ops[1] === 'Sw' && regField > 5))
      return { ok: false, fault: 'ud', length: c.pos, opcode };

    let imm = 0;
    let imm64 = 0n;
    let imm2 = 0;
    for (const o of ops) {
      switch (o) {
        case 'Lx': // register in imm8[7:4] (SDM Vol. 2A 2.3.8 "is4")
        case 'Ib':
          if (opcode === 0xc8) imm2 = c.readImm(1, false);
          else imm = c.readImm(1, false);
          break;
        case 'Ibs':
        case 'Jb':
          imm = c.readImm(1, true);
          break;
        case 'Iw':
          imm = c.readImm(2, false);
          break;
        case 'Iz':
          // 32-bit immediates are sign-extended to 64 bits with REX.W (SDM Vol. 2A 2.2.1.5).
          imm = opSize === 2 ? c.readImm(2, false) : c.readImm(4, opSize === 8);
          break;
        case 'Jz':
          imm = opSize === 2 ? c.readImm(2, true) : c.readImm(4, true);
          break;
        case 'Iv':
          if (opSize === 8) {
            const lo = c.readImm(4, false);
            const hi = c.readImm(4, false);
            imm64 = (BigInt(hi) << 32n) | BigInt(lo);
            imm = lo;
          } else imm = c.readImm(opSize, false);
          break;
        case 'Ap':
          imm = c.readImm(opSize === 2 ? 2 : 4, false);
          imm2 = c.readImm(2, false);
          break;
        case 'Ob':
        case 'Ov':
          moffs = c.readImm(addrSize, false);
          break;
      }
    }
    if (lock && (!form.lockable || mod === 3)) return { ok: false, fault: 'ud', length: c.pos, opcode };
    return {
      ok: true,
      instr: { length: c.pos, form, opcode, mandatory, vex, opSize, addrSize, lock, repPrefix, segOverride, rex, mod, reg, rm, mem, imm, imm64, imm2, moffs },
    };
  } catch (e) {
    if (e instanceof InstrTooLong) return { ok: false, fault: 'gp', length: MAX_LENGTH, opcode: -1 };
    throw e;
  }
}

class InstrTooLong extends Error {}

/** The bytes of one instruction, fetched in order up to the 15-byte limit (SDM Vol. 2A 2.3.11). */
class ByteCursor {
  pos = 0;

  constructor(readonly fetch: FetchByte) {}

  next(): number {
    if (this.pos >= MAX_LENGTH) throw new InstrTooLong();
    return this.fetch(this.pos++);
  }

  /** A little-endian immediate or displacement of `size` bytes, sign-extended when `signed`. */
  readImm(size: number, signed: boolean): number {
    let v = 0;
    for (let i = 0; i < size; i++) v += this.next() * 2 ** (8 * i);
    if (signed) {
      const bits = 8 * size;
      if (v >= 2 ** (bits - 1)) v -= 2 ** bits;
    }
    return v;
  }
}

function decodeMem(
  c: ByteCursor,
  mod: number,
  rm: number,
  addrSize: 2 | 4 | 8,
  long: boolean,
  rexX: number,
  rexB: number,
  segOverride: number,
): MemOperand {
  if (addrSize === 2) {
    // 16-bit addressing (SDM Vol. 2A Table 2-1).
    const BASES = [3, 3, 5, 5, 6, 7, 5, 3]; // BX BX BP BP SI DI BP BX
    const INDEXES = [6, 7, 6, 7, -1, -1, -1, -1]; // SI DI SI DI
    let base = BASES[rm];
    const index = INDEXES[rm];
    let disp = 0;
    if (mod === 0 && rm === 6) {
      base = -1;
      disp = c.readImm(2, true);
    } else if (mod === 1) disp = c.readImm(1, true);
    else if (mod === 2) disp = c.readImm(2, true);
    const bpBased = base === 5;
    const seg = segOverride >= 0 ? segOverride : bpBased ? Seg.SS : Seg.DS;
    return { base, index, scale: 1, disp, seg, ripRelative: false };
  }
  // 32/64-bit addressing (SDM Vol. 2A Tables 2-2, 2-3).
  let base: number;
  let index = -1;
  let scale: 1 | 2 | 4 | 8 = 1;
  let ripRelative = false;
  let disp = 0;
  if (rm === 4) {
    const sib = c.next();
    scale = (1 << (sib >> 6)) as 1 | 2 | 4 | 8;
    const idx = ((sib >> 3) & 7) + rexX;
    index = idx === 4 ? -1 : idx; // index 100b (without REX.X) means none
    base = (sib & 7) + rexB;
    if ((sib & 7) === 5 && mod === 0) {
      base = -1;
      disp = c.readImm(4, true);
    }
  } else if (rm === 5 && mod === 0) {
    base = -1;
    disp = c.readImm(4, true);
    // In 64-bit mode mod 00 rm 101 is RIP-relative whatever the address size (SDM Vol. 2A 2.2.1.6).
    ripRelative = long;
  } else base = rm + rexB;
  if (mod === 1) disp = c.readImm(1, true);
  else if (mod === 2) disp = c.readImm(4, true);
  const stackBased = base === 4 || base === 5;
  const seg = segOverride >= 0 ? segOverride : stackBased ? Seg.SS : Seg.DS;
  return { base, index, scale, disp, seg, ripRelative };
}
