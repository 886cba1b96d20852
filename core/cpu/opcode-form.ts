// The shapes of the opcode table's entries (core/cpu/opcodes.ts is the table; the x87 and
// SSE rows live in opcodes-x87.ts and opcodes-sse.ts and are merged into it). Kept apart so
// the three table files share the helpers without an import cycle.
//
// Operand notation (SDM Vol. 2D A.2): E = ModRM r/m, G = ModRM reg, M = memory-only r/m,
// R = register-only r/m, S = segment register in ModRM reg, C/D = control/debug register in
// ModRM reg, I = immediate, J = relative offset, O = moffs, A = far pointer. SIMD (A.2.1):
// V = XMM register in ModRM reg, W = XMM register or memory in r/m, U = XMM register in r/m
// (register only), H = XMM register in VEX.vvvv, P = MMX register in ModRM reg, Q = MMX
// register or memory in r/m, N = MMX register in r/m (register only), B = general register
// in VEX.vvvv, L = XMM register in the upper four bits of an imm8. Size suffixes: b, w, d,
// q, v (16/32/64 by operand size), z (16/32), y (32, or 64 with REX.W/VEX.W in 64-bit mode),
// p (far pointer), a (BOUND pair), s (6/10-byte descriptor), x (128-bit), dq (128-bit), ps/pd
// (packed single/double), ss/sd (scalar single/double), t (80-bit x87). Fixed register
// operands are named (AL, eAX, rAX, CL, DX), "Zb"/"Zv" is the register in the low three
// opcode bits (+REX.B), "Ibs" a sign-extended byte immediate, "1" the constant one.

type SimdSize = 'x' | 'dq' | 'ps' | 'pd' | 'ss' | 'sd' | 'q' | 'd' | 'w' | 'b' | 'y';

export type Operand =
  | 'Eb' | 'Ew' | 'Ed' | 'Eq' | 'Ev' | 'Ey' | 'Gb' | 'Gw' | 'Gd' | 'Gq' | 'Gv' | 'Gz' | 'Gy'
  | 'M' | 'Mp' | 'Ma' | 'Mb' | 'Mw' | 'Md' | 'Mq' | 'Mv' | 'Ms' | 'Mt' | 'My' | 'Mx' | 'Mdq' | 'Mps' | 'Mpd'
  | 'Rd' | 'Rv' | 'Ry'
  | 'Sw' | 'Cd' | 'Dd'
  | 'Ib' | 'Ibs' | 'Iw' | 'Iz' | 'Iv'
  | 'Jb' | 'Jz' | 'Ob' | 'Ov' | 'Ap'
  | 'AL' | 'eAX' | 'rAX' | 'CL' | 'DX' | 'Zb' | 'Zv' | '1'
  | 'ES' | 'CS' | 'SS' | 'DS' | 'FS' | 'GS'
  | 'Xb' | 'Xv' | 'Yb' | 'Yv'
  | 'By' | 'Lx'
  | `${'V' | 'W' | 'U' | 'H' | 'P' | 'Q' | 'N'}${SimdSize}`;

export interface OpcodeForm {
  /** Lower-case mnemonic; the JIT's emitter table is keyed by it. */
  readonly mnemonic: string;
  readonly operands: readonly Operand[];
  /** Invalid in 64-bit mode (#UD), e.g. PUSH ES, DAA, BOUND. */
  readonly no64?: true;
  /** Default operand size 64 in 64-bit mode (near branches, PUSH/POP; SDM Vol. 1 3.6.1). */
  readonly d64?: true;
  /** Operand size 64 in 64-bit mode whatever the prefixes (MOV CRn, SDM Vol. 2A Table 2-4 "f64"). */
  readonly f64?: true;
  /** Accepts a LOCK prefix when the destination is memory (SDM Vol. 2A LOCK). */
  readonly lockable?: true;
  /** Accepts REP/REPE/REPNE as a repeat prefix (string instructions). */
  readonly rep?: 'rep' | 'repe';
  /** Feature that must be present (CPUID), for the conformance table. */
  readonly feature?: string;
}

/** A ModRM group: forms by ModRM.reg; `byRegRm` splits by mod == 3 (register) where forms differ. */
export interface OpcodeGroup {
  readonly group: string;
  readonly byReg: readonly (OpcodeForm | undefined)[];
  /** Register forms (mod == 3) indexed [reg][rm], where they differ from the memory forms. */
  readonly byRegRm?: Readonly<Record<number, readonly (OpcodeForm | undefined)[]>>;
}

/** A mandatory prefix: none, or 66/F3/F2 taken as part of the opcode (VEX.pp encodes the same). */
export type MandatoryPrefix = 'none' | '66' | 'F3' | 'F2';

/**
 * Forms chosen by a mandatory prefix (SDM Vol. 2A 2.1.2, Vol. 2D A.2.5 / Table A-3 rows
 * with "66", "F3", "F2"). The decoder tries the F2/F3 form when that prefix is present,
 * then the 66 form, then the unprefixed one with the prefixes acting as usual
 * (e.g. F3 0F BC is TZCNT, 66 0F BC is BSF with a 16-bit operand).
 */
export interface PrefixSelect {
  readonly mandatory: Readonly<Partial<Record<MandatoryPrefix, OpcodeForm | OpcodeGroup>>>;
}

export type OpcodeEntry = OpcodeForm | OpcodeGroup | PrefixSelect;

export function isGroup(e: OpcodeEntry): e is OpcodeGroup {
  return 'group' in e;
}

export function isPrefixSelect(e: OpcodeEntry): e is PrefixSelect {
  return 'mandatory' in e;
}

export const f = (mnemonic: string, operands: readonly Operand[] = [], extra: Partial<OpcodeForm> = {}): OpcodeForm => ({
  mnemonic,
  operands,
  ...extra,
});

export function group(
  name: string,
  byReg: (OpcodeForm | undefined)[],
  byRegRm?: Record<number, (OpcodeForm | undefined)[]>,
): OpcodeGroup {
  return { group: name, byReg, byRegRm };
}

/**
 * Puts `entry` at `opcode` of `map` for mandatory prefix `prefix`, turning a plain entry
 * already there into the unprefixed choice. Two entries for one (opcode, prefix) are a bug
 * in the table and throw at load.
 */
export function withPrefix(
  map: Record<number, OpcodeEntry>,
  opcode: number,
  prefix: MandatoryPrefix,
  entry: OpcodeForm | OpcodeGroup,
): void {
  const old = map[opcode];
  const taken = (): never => {
    throw new Error(`opcode table: ${opcode.toString(16)} with prefix ${prefix} defined twice`);
  };
  if (old === undefined) map[opcode] = { mandatory: { [prefix]: entry } };
  else if (isPrefixSelect(old)) {
    if (old.mandatory[prefix] !== undefined) taken();
    map[opcode] = { mandatory: { ...old.mandatory, [prefix]: entry } };
  } else {
    if (prefix === 'none') taken();
    map[opcode] = { mandatory: { none: old, [prefix]: entry } };
  }
}

/** Opcode maps (SDM Vol. 2D A.3): legacy 0F, 0F 38, 0F 3A; VEX.mmmmm selects the same three. */
export type OpcodeMap = '0F' | '0F38' | '0F3A';

/** One row of a table that is merged into a map: the SSE and x87 rows use it. */
export interface MapRow {
  readonly map: OpcodeMap;
  readonly opcode: number;
  readonly prefix: MandatoryPrefix;
  readonly entry: OpcodeForm | OpcodeGroup;
  /** VEX-encoded only (no legacy form): goes into the VEX map. */
  readonly vex?: true;
}
