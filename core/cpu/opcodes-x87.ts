// The x87 escape opcodes D8-DF (SDM Vol. 2D A.4, Tables ), merged into the
// one-byte map by opcodes.ts. Memory forms are chosen by ModRM.reg, register forms
// (mod = 11) by reg and rm. The register-form aliases that the opcode maps leave blank but
// every x86 processor executes (D9 D8+i FSTP1, DC D0+i FCOM, DC D8+i FCOMP, DD C8+i FXCH,
// DE D0+i FCOMP, DF C0+i FFREEP, DF C8+i FXCH, DF D0+i FSTP8, DF D8+i FSTP9; FSTP1
// differs from FSTP on an empty ST(0), see core/fpu/ops-load.ts) are included, as are the
// 8087/287 leftovers that later processors execute as FNOP (DB E0 FENI, DB E1 FDISI,
// DB E4 FSETPM). The semantics are in jit/emit/x87.ts and core/fpu/.
import { f, group, type OpcodeEntry, type OpcodeForm, type Operand } from './opcode-form.ts';

const FPU = { feature: 'fpu' } as const;
/** FCMOVcc and FCOMI/FUCOMI come with CMOV (SDM Vol. 2A FCMOVcc, FCOMI: CPUID.01H:EDX.CMOV and FPU). */
const FPU_CMOV = { feature: 'fpu+cmov' } as const;
/** FISTTP is an SSE3 instruction (SDM Vol. 2A FISTTP). */
const SSE3 = { feature: 'sse3' } as const;

const x = (mnemonic: string, operands: readonly Operand[] = [], extra: Partial<OpcodeForm> = FPU): OpcodeForm => f(mnemonic, operands, extra);
/** Eight register forms with the same mnemonic (ST(i) in rm). */
const all8 = (mnemonic: string, extra: Partial<OpcodeForm> = FPU): OpcodeForm[] => Array.from({ length: 8 }, () => x(mnemonic, [], extra));
/** Register forms that differ by rm; missing entries are #UD. */
const byRm = (...forms: (string | undefined)[]): (OpcodeForm | undefined)[] =>
  Array.from({ length: 8 }, (_, i) => (forms[i] === undefined ? undefined : x(forms[i])));

const ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
const IARITH = ['fiadd', 'fimul', 'ficom', 'ficomp', 'fisub', 'fisubr', 'fidiv', 'fidivr'];

export const X87_ESCAPES: Readonly<Record<number, OpcodeEntry>> = {
  // D8: arithmetic with m32real or ST(0), ST(i) (Tables ).
  0xd8: group('x87-d8', ARITH.map((m) => x(m, ['Md'])), Object.fromEntries(ARITH.map((m, r) => [r, all8(m)]))),
  // D9: loads, stores, environment, constants and the one-operand group (Tables ).
  0xd9: group(
    'x87-d9',
    [x('fld', ['Md']), undefined, x('fst', ['Md']), x('fstp', ['Md']), x('fldenv', ['M']), x('fldcw', ['Mw']), x('fnstenv', ['M']), x('fnstcw', ['Mw'])],
    {
      0: all8('fld'),
      1: all8('fxch'),
      2: byRm('fnop'),
      3: all8('fstp1'),
      4: byRm('fchs', 'fabs', undefined, undefined, 'ftst', 'fxam'),
      5: byRm('fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz'),
      6: byRm('f2xm1', 'fyl2x', 'fptan', 'fpatan', 'fxtract', 'fprem1', 'fdecstp', 'fincstp'),
      7: byRm('fprem', 'fyl2xp1', 'fsqrt', 'fsincos', 'frndint', 'fscale', 'fsin', 'fcos'),
    },
  ),
  // DA: m32int arithmetic, FCMOVB/E/BE/U, FUCOMPP (Tables ).
  0xda: group('x87-da', IARITH.map((m) => x(m, ['Md'])), {
    0: all8('fcmovb', FPU_CMOV),
    1: all8('fcmove', FPU_CMOV),
    2: all8('fcmovbe', FPU_CMOV),
    3: all8('fcmovu', FPU_CMOV),
    5: byRm(undefined, 'fucompp'),
  }),
  // DB: m32int loads and stores, m80 loads and stores, FCMOVNcc, control, FUCOMI/FCOMI (Tables ).
  0xdb: group(
    'x87-db',
    [x('fild', ['Md']), x('fisttp', ['Md'], SSE3), x('fist', ['Md']), x('fistp', ['Md']), undefined, x('fld', ['Mt']), undefined, x('fstp', ['Mt'])],
    {
      0: all8('fcmovnb', FPU_CMOV),
      1: all8('fcmovne', FPU_CMOV),
      2: all8('fcmovnbe', FPU_CMOV),
      3: all8('fcmovnu', FPU_CMOV),
      4: byRm('fneni', 'fndisi', 'fnclex', 'fninit', 'fnsetpm'),
      5: all8('fucomi', FPU_CMOV),
      6: all8('fcomi', FPU_CMOV),
    },
  ),
  // DC: arithmetic with m64real or ST(i), ST(0) (Tables; reg 4-7 swap SUB/SUBR and DIV/DIVR).
  0xdc: group('x87-dc', ARITH.map((m) => x(m, ['Mq'])), {
    0: all8('fadd'),
    1: all8('fmul'),
    2: all8('fcom'),
    3: all8('fcomp'),
    4: all8('fsubr'),
    5: all8('fsub'),
    6: all8('fdivr'),
    7: all8('fdiv'),
  }),
  // DD: m64real loads and stores, FRSTOR, FNSAVE, FNSTSW m16, FFREE, FST/FSTP ST(i), FUCOM/FUCOMP (Tables ).
  0xdd: group(
    'x87-dd',
    [x('fld', ['Mq']), x('fisttp', ['Mq'], SSE3), x('fst', ['Mq']), x('fstp', ['Mq']), x('frstor', ['M']), undefined, x('fnsave', ['M']), x('fnstsw', ['Mw'])],
    { 0: all8('ffree'), 1: all8('fxch'), 2: all8('fst'), 3: all8('fstp'), 4: all8('fucom'), 5: all8('fucomp') },
  ),
  // DE: m16int arithmetic and the popping register forms (Tables ).
  0xde: group('x87-de', IARITH.map((m) => x(m, ['Mw'])), {
    0: all8('faddp'),
    1: all8('fmulp'),
    2: all8('fcomp'),
    3: byRm(undefined, 'fcompp'),
    4: all8('fsubrp'),
    5: all8('fsubp'),
    6: all8('fdivrp'),
    7: all8('fdivp'),
  }),
  // DF: m16int and m64int loads and stores, BCD, FNSTSW AX, FUCOMIP/FCOMIP (Tables ).
  0xdf: group(
    'x87-df',
    [x('fild', ['Mw']), x('fisttp', ['Mw'], SSE3), x('fist', ['Mw']), x('fistp', ['Mw']), x('fbld', ['Mt']), x('fild', ['Mq']), x('fbstp', ['Mt']), x('fistp', ['Mq'])],
    {
      0: all8('ffreep'),
      1: all8('fxch'),
      2: all8('fstp8'),
      3: all8('fstp9'),
      4: byRm('fnstsw'),
      5: all8('fucomip', FPU_CMOV),
      6: all8('fcomip', FPU_CMOV),
    },
  ),
};
