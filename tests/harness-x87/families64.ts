// The 64-bit mode families (native/runner64.c). REX prefixes do not change x87 operations
// (SDM Vol. 2A 2.2.1.7: REX.W only selects FXSAVE64/FXRSTOR64); what 64-bit mode does
// change is addressing: RIP-relative memory operands (SDM Vol. 2A 2.2.1.6), the address-size
// prefix, and 64-bit FIP/FDP, which the recorder reads from an FXSAVE64 image after every case.
import { memBcd, memFloat, memInt, randomState, type Rng, type StateOptions } from './gen-cases.ts';
import type { X87State } from './format.ts';
import { specialOperand } from './families-special.ts';
import { type Family, type Template, t } from './template.ts';

/** FRSTOR [disp32] before every case in runner64.c: the case starts this far into the code page. */
export const CASE_OFFSET64 = 7;
/** FRSTOR [rip+disp32] before every case of a `high` family. */
export const CASE_OFFSET64_HIGH = 6;
const CODE_BASE = 0x20000;
const MEM_BASE = 0x31000;
const FWAIT = 0x9b;

/** A 64-bit starting state: RAX with all 64 bits random. */
function state64(r: Rng, o: StateOptions = {}): X87State {
  const s = randomState(r, { depth: [0, 8], ...o });
  return { ...s, a: r.u32().toString(16).padStart(8, '0') + s.a };
}

type Mem = 'f32' | 'f64' | 'f80' | 'i16' | 'i32' | 'i64' | 'bcd' | 'env' | 'cw' | 'none';

function memBytes(r: Rng, kind: Mem): number[] | undefined {
  switch (kind) {
    case 'f32':
      return memFloat(r, 32);
    case 'f64':
      return memFloat(r, 64);
    case 'i16':
      return memInt(r, 2);
    case 'i32':
      return memInt(r, 4);
    case 'i64':
      return memInt(r, 8);
    case 'bcd':
      return memBcd(r);
    case 'f80': {
      const v = specialOperand(r);
      const out = Array.from({ length: 8 }, (_, k) => Number((v.mant >> BigInt(8 * k)) & 0xffn));
      const se = (v.sign << 15) | v.exp;
      return [...out, se & 0xff, se >> 8];
    }
    case 'env': {
      // A 28-byte environment whose status word has only masked flags pending.
      const mem = Array.from({ length: 32 }, () => r.int(256));
      const cw = 0x40 | 0x3f | (r.int(16) << 8);
      mem[0] = cw & 0xff;
      mem[1] = cw >> 8;
      mem[4] &= 0x3f | 0xc0;
      mem[5] &= 0x7f;
      return mem;
    }
    case 'cw': {
      const cw = (r.u32() & 0xffff) | 0x3f;
      return [cw & 0xff, cw >> 8];
    }
    default:
      return undefined;
  }
}

/** Memory instructions: name, opcode, ModRM reg field, operand kind. */
const MEMORY_FORMS: [string, number, number, Mem][] = [
  ['fld dword', 0xd9, 0, 'f32'], ['fld qword', 0xdd, 0, 'f64'], ['fld tword', 0xdb, 5, 'f80'], ['fst dword', 0xd9, 2, 'none'],
  ['fstp qword', 0xdd, 3, 'none'], ['fstp tword', 0xdb, 7, 'none'], ['fild word', 0xdf, 0, 'i16'], ['fild dword', 0xdb, 0, 'i32'],
  ['fild qword', 0xdf, 5, 'i64'], ['fist word', 0xdf, 2, 'none'], ['fistp dword', 0xdb, 3, 'none'], ['fistp qword', 0xdf, 7, 'none'],
  ['fisttp qword', 0xdd, 1, 'none'], ['fbld tword', 0xdf, 4, 'bcd'], ['fbstp tword', 0xdf, 6, 'none'], ['fadd dword', 0xd8, 0, 'f32'],
  ['fmul qword', 0xdc, 1, 'f64'], ['fcomp dword', 0xd8, 3, 'f32'], ['fsubr qword', 0xdc, 5, 'f64'], ['fdiv dword', 0xd8, 6, 'f32'],
  ['fiadd word', 0xde, 0, 'i16'], ['fidivr dword', 0xda, 7, 'i32'], ['ficom word', 0xde, 2, 'i16'], ['fnstenv', 0xd9, 6, 'none'],
  ['fldenv', 0xd9, 4, 'env'], ['fnstcw word', 0xd9, 7, 'none'], ['fldcw word', 0xd9, 5, 'cw'], ['fnstsw word', 0xdd, 7, 'none'],
];

/** Addressing forms of MEM_BASE in 64-bit mode: the bytes before the opcode, ModRM and after. */
interface Addressing {
  name: string;
  prefix: number[];
  encode: (opcode: number, reg: number, prefixLen: number) => number[];
}
const ADDRESSING: Addressing[] = [
  { name: '[rbx]', prefix: [], encode: (op, reg) => [op, (reg << 3) | 3] },
  {
    name: '[rip+disp32]',
    prefix: [],
    encode: (op, reg, prefixLen) => {
      // The displacement counts from the next instruction (SDM Vol. 2A 2.2.1.6).
      const next = CODE_BASE + CASE_OFFSET64 + prefixLen + 6;
      const d = (MEM_BASE - next) >>> 0;
      return [op, (reg << 3) | 5, d & 0xff, (d >> 8) & 0xff, (d >> 16) & 0xff, d >>> 24];
    },
  },
  { name: 'rex.w [rbx]', prefix: [0x48], encode: (op, reg) => [op, (reg << 3) | 3] },
  { name: 'a32 [ebx]', prefix: [0x67], encode: (op, reg) => [op, (reg << 3) | 3] },
  { name: 'rex.rx [rbx+0]', prefix: [0x46], encode: (op, reg) => [op, 0x40 | (reg << 3) | 3, 0] },
];

function memory64(): Template[] {
  const out: Template[] = [];
  for (const [name, op, reg, kind] of MEMORY_FORMS)
    for (const a of ADDRESSING) {
      const code = [...a.prefix, ...a.encode(op, reg, a.prefix.length)];
      out.push(t(`${name} ${a.name}`, code, (r) => state64(r, { mem: memBytes(r, kind), unmasked: kind === 'env' || kind === 'cw' ? 0 : 0.15 })));
    }
  return out;
}

function registers64(): Template[] {
  const st = (r: Rng): X87State => state64(r, { depth: [1, 8], unmasked: 0.3 });
  return [
    ['fnstsw ax', [0xdf, 0xe0]], ['rex.w fnstsw ax', [0x48, 0xdf, 0xe0]], ['rex.w fadd st0, st1', [0x48, 0xd8, 0xc1]],
    ['rex.b fmul st0, st1', [0x41, 0xd8, 0xc9]], ['rex.wrxb fdivr st0, st1', [0x4f, 0xd8, 0xf9]], ['rex.b fxch st1', [0x41, 0xd9, 0xc9]],
    ['rex.w fcomi st1', [0x48, 0xdb, 0xf1]], ['rex.b fucomip st1', [0x41, 0xdf, 0xe9]], ['rex.w fcmovb st0, st2', [0x48, 0xda, 0xc2]],
    ['rex fsqrt', [0x40, 0xd9, 0xfa]], ['rex.w fsin', [0x48, 0xd9, 0xfe]], ['rex.w fninit', [0x48, 0xdb, 0xe3]], ['rex.w fnclex', [0x48, 0xdb, 0xe2]],
    ['rex.b ffree st1', [0x41, 0xdd, 0xc1]], ['o16 fnstenv [rbx]', [0x66, 0xd9, 0x33]], ['o16 fldenv [rbx]', [0x66, 0xd9, 0x23]],
    ['rex.w fnstenv [rbx]', [0x48, 0xd9, 0x33]], ['rex.w fldenv [rbx]', [0x48, 0xd9, 0x23]],
  ].map(([asm, code]) =>
    t(asm as string, code as number[], (asm as string).includes('fldenv') ? (r) => state64(r, { mem: memBytes(r, 'env'), unmasked: 0 }) : st),
  );
}

function unmasked64(): Template[] {
  const st = (r: Rng, mem?: Mem): X87State => state64(r, { depth: [1, 8], unmasked: 1, value: (g) => specialOperand(g), mem: mem && memBytes(r, mem) });
  const ripDisp = (len: number): number[] => {
    const d = (MEM_BASE - (CODE_BASE + CASE_OFFSET64 + len)) >>> 0;
    return [d & 0xff, (d >> 8) & 0xff, (d >> 16) & 0xff, d >>> 24];
  };
  return [
    t('fdiv st0, st1; fwait', [0xd8, 0xf1, FWAIT], (r) => st(r)),
    t('fsqrt; fwait', [0xd9, 0xfa, FWAIT], (r) => st(r)),
    t('fmul st0, st1; fwait', [0xd8, 0xc9, FWAIT], (r) => st(r)),
    t('fst dword [rbx]; fwait', [0xd9, 0x13, FWAIT], (r) => st(r)),
    t('fistp word [rip+disp32]; fwait', [0xdf, 0x1d, ...ripDisp(6), FWAIT], (r) => st(r)),
    t('fadd qword [rip+disp32]; fwait', [0xdc, 0x05, ...ripDisp(6), FWAIT], (r) => st(r, 'f64')),
    t('rex.w fld st1; fwait', [0x48, 0xd9, 0xc1, FWAIT], (r) => st(r)),
    t('fscale; fld1', [0xd9, 0xfd, 0xd9, 0xe8], (r) => st(r)),
  ];
}

/**
 * Code and data above 4 GiB: the pointers FXSAVE64 stores need all 64 bits, FNSAVE and
 * FNSTENV keep the low 32 (SDM Vol. 1 8.1.10, Vol. 2A FXSAVE Table 3-55 and 3-56).
 */
function high64(): Template[] {
  const rip = (len: number): number[] => {
    // Both pages moved by the same base, so the displacement is the low layout's.
    const d = (MEM_BASE - (CODE_BASE + CASE_OFFSET64_HIGH + len)) >>> 0;
    return [d & 0xff, (d >> 8) & 0xff, (d >> 16) & 0xff, d >>> 24];
  };
  const st = (kind: Mem = 'none', unmasked = 0.15) => (r: Rng): X87State => state64(r, { mem: memBytes(r, kind), unmasked, depth: [0, 8] });
  const mf = (r: Rng): X87State => state64(r, { depth: [1, 8], unmasked: 1, value: (g) => specialOperand(g) });
  return [
    t('fld qword [rbx]', [0xdd, 0x03], st('f64')),
    t('fld dword [rip+disp32]', [0xd9, 0x05, ...rip(6)], st('f32')),
    t('fstp qword [rip+disp32]', [0xdd, 0x1d, ...rip(6)], st()),
    t('fadd qword [rbx]', [0xdc, 0x03], st('f64')),
    t('fimul dword [rip+disp32]', [0xda, 0x0d, ...rip(6)], st('i32')),
    t('fistp qword [rbx]', [0xdf, 0x3b], st()),
    t('fbstp tword [rip+disp32]', [0xdf, 0x35, ...rip(6)], st()),
    t('fmul st0, st1', [0xd8, 0xc9], st()),
    t('fxch st1', [0xd9, 0xc9], st()),
    t('fsqrt', [0xd9, 0xfa], st()),
    t('fnstenv [rbx]', [0xd9, 0x33], st()),
    t('rex.w fnstenv [rip+disp32]', [0x48, 0xd9, 0x35, ...rip(7)], st()),
    t('fldenv [rbx]', [0xd9, 0x23], st('env', 0)),
    t('fdiv st0, st1; fwait', [0xd8, 0xf1, FWAIT], mf),
    t('fst dword [rip+disp32]; fwait', [0xd9, 0x15, ...rip(6), FWAIT], mf),
  ];
}

export const FAMILIES64: readonly Family[] = [
  { name: 'memory64', mode: 64, description: 'memory forms in 64-bit mode: [rbx], RIP-relative, REX.W, a32 and disp8 addressing; 64-bit FIP/FDP from FXSAVE64', perTemplate: 40, templates: memory64() },
  { name: 'registers64', mode: 64, description: 'register forms with REX prefixes, FNSTSW AX, FNSTENV/FLDENV (REX.W, o16), FNINIT, FNCLEX in 64-bit mode', perTemplate: 100, templates: registers64() },
  { name: 'high64', mode: 64, high: true, description: 'code and data above 4 GiB: 64-bit FIP and FDP in FXSAVE64, their low halves in FNSAVE and FNSTENV, #MF', perTemplate: 80, templates: high64() },
  { name: 'unmasked64', mode: 64, description: 'unmasked exceptions followed by a waiting instruction in 64-bit mode: #MF with CR0.NE', perTemplate: 150, templates: unmasked64() },
];
