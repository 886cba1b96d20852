// Which x87 forms have a Wasm fast path (jit/emit/x87.ts), decided at translation time from
// the mnemonic, opcode byte, ModRM.reg and the operand kind (SDM Vol. 2D Tables;
// core/cpu/opcodes-x87.ts names DC/DE E0+i ... F8+i by what they compute).
import type { BlockContext } from '../context.ts';
import { DOUBLE, type MemFormat, SINGLE } from './x87-fields.ts';

export type FastKind =
  | 'fld-mem' | 'fst-mem' | 'fld-reg' | 'fst-reg' | 'fxch' | 'fld1' | 'fldz'
  | 'add' | 'mul' | 'div' | 'fild' | 'fist' | 'sign' | 'fnstsw' | 'compare';

export interface FastForm {
  kind: FastKind;
  fmt?: MemFormat;
  pop?: boolean;
  /** FADD/FMUL/FSUB/FDIV: the destination is ST(i) (DC and DE register forms), else ST(0). */
  toSti?: boolean;
  /** FSUB: dest - src, FSUBR: src - dest (the negated operand of the addition). */
  negate?: 'src' | 'dest';
  /** FDIVR: src / dest. */
  reverse?: boolean;
  /** FILD/FIST/FISTP: integer bytes. */
  intSize?: 2 | 4 | 8;
  /** FCHS or FABS. */
  sign?: 'chs' | 'abs';
  /** Comparisons: the second operand, how many pops, and whether EFLAGS (FCOMI) or C0-C3 get the result. */
  source?: 'operand' | 'st1' | 'zero';
  pops?: number;
  eflags?: boolean;
}

// Every form is dest = dest op src, dest ST(0) for D8 and the memory forms, ST(i) for the
// DC and DE register forms, which DE pops (SDM Vol. 2A FADD, FMUL, FSUB, FSUBR, FDIV, FDIVR).
const ARITH: Readonly<Record<string, Omit<FastForm, 'fmt' | 'toSti' | 'pop'>>> = {
  fadd: { kind: 'add' }, faddp: { kind: 'add' }, fmul: { kind: 'mul' }, fmulp: { kind: 'mul' },
  fsub: { kind: 'add', negate: 'src' }, fsubp: { kind: 'add', negate: 'src' },
  fsubr: { kind: 'add', negate: 'dest' }, fsubrp: { kind: 'add', negate: 'dest' },
  fdiv: { kind: 'div' }, fdivp: { kind: 'div' }, fdivr: { kind: 'div', reverse: true }, fdivrp: { kind: 'div', reverse: true },
};

/** FCOM ... FUCOMIP, FTST (SDM Vol. 2A FCOM, FCOMI, FTST, FUCOM): source, pops, EFLAGS. */
const COMPARE: Readonly<Record<string, Pick<FastForm, 'source' | 'pops' | 'eflags'>>> = {
  fcom: { source: 'operand', pops: 0 }, fcomp: { source: 'operand', pops: 1 }, fcompp: { source: 'st1', pops: 2 },
  fucom: { source: 'operand', pops: 0 }, fucomp: { source: 'operand', pops: 1 }, fucompp: { source: 'st1', pops: 2 },
  ftst: { source: 'zero', pops: 0 },
  fcomi: { source: 'operand', pops: 0, eflags: true }, fcomip: { source: 'operand', pops: 1, eflags: true },
  fucomi: { source: 'operand', pops: 0, eflags: true }, fucomip: { source: 'operand', pops: 1, eflags: true },
};

export function fastKind(ctx: BlockContext): FastForm | undefined {
  const i = ctx.instr;
  if (!ctx.mode.protectedMode) return undefined;
  const m = i.form.mnemonic;
  const reg = i.reg & 7;
  if (m in ARITH) {
    const f = ARITH[m];
    if (i.mem !== null) return i.opcode === 0xd8 || i.opcode === 0xdc ? { ...f, fmt: i.opcode === 0xd8 ? SINGLE : DOUBLE } : undefined;
    return { ...f, toSti: i.opcode !== 0xd8, pop: i.opcode === 0xde };
  }
  if (m in COMPARE) {
    if (i.mem !== null && i.opcode !== 0xd8 && i.opcode !== 0xdc) return undefined;
    return { kind: 'compare', ...COMPARE[m], fmt: i.mem === null ? undefined : i.opcode === 0xd8 ? SINGLE : DOUBLE };
  }
  if (m === 'fchs' || m === 'fabs') return { kind: 'sign', sign: m === 'fchs' ? 'chs' : 'abs' };
  if (m === 'fnstsw') return { kind: 'fnstsw' };
  if (m === 'fild') return { kind: 'fild', intSize: i.opcode === 0xdb ? 4 : reg === 5 ? 8 : 2 };
  if (m === 'fist' || m === 'fistp') return { kind: 'fist', pop: m === 'fistp', intSize: i.opcode === 0xdb ? 4 : reg === 7 ? 8 : 2 };
  const fmt = i.opcode === 0xd9 ? SINGLE : i.opcode === 0xdd ? DOUBLE : undefined;
  if (i.mem !== null) {
    if (fmt === undefined) return undefined;
    if (m === 'fld') return { kind: 'fld-mem', fmt };
    if (m === 'fst' || m === 'fstp') return { kind: 'fst-mem', fmt, pop: m === 'fstp' };
    return undefined;
  }
  if (m === 'fld' && i.opcode === 0xd9) return { kind: 'fld-reg' };
  // DD D0+i / D8+i; the aliases FSTP1, FSTP8 and FSTP9 stay on the cold path.
  if ((m === 'fst' || m === 'fstp') && i.opcode === 0xdd) return { kind: 'fst-reg', pop: m === 'fstp' };
  if (m === 'fxch') return { kind: 'fxch' };
  if (m === 'fld1' || m === 'fldz') return { kind: m };
  return undefined;
}
