// The x87 fixture families: which instructions, with which operands, how many cases.
// Memory operands are [EBX] (ModRM mod 00, rm 011), EBX = X87_LAYOUT.memBase.
import { operand, type Raw, type Rng, randomState, type StateOptions } from './gen-cases.ts';
import type { X87State } from './format.ts';
import { type Family, modrmMem, type Template, t, withMem } from './template.ts';
import { SPECIAL_FAMILIES } from './families-special.ts';
import { FAMILIES64 } from './families64.ts';

export type { Family, Template } from './template.ts';

const ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
const IARITH = ['fiadd', 'fimul', 'ficom', 'ficomp', 'fisub', 'fisubr', 'fidiv', 'fidivr'];
const DC_REG = ['fadd', 'fmul', 'fcom2', 'fcomp3', 'fsubr', 'fsub', 'fdivr', 'fdiv'];
const DE_REG = ['faddp', 'fmulp', 'fcomp5', 'fcompp', 'fsubrp', 'fsubp', 'fdivrp', 'fdivp'];

/** Operands with close exponents for ST(0) and ST(1), so that sums cancel and products round. */
const closePair = (r: Rng, k: number): Raw => operand(r, 0x3fff, k < 2 ? 3 : 40);

function arithmetic(): Template[] {
  const out: Template[] = [];
  ARITH.forEach((m, reg) => {
    if (reg === 2 || reg === 3) return;
    out.push(t(`${m} dword [ebx]`, [0xd8, modrmMem(reg)], (r) => withMem(r, 'f32')));
    out.push(t(`${m} qword [ebx]`, [0xdc, modrmMem(reg)], (r) => withMem(r, 'f64')));
    out.push(t(`${m} st0, st1`, [0xd8, 0xc0 | (reg << 3) | 1], (r) => randomState(r, { value: closePair })));
    out.push(t(`${m} st0, st0`, [0xd8, 0xc0 | (reg << 3)], (r) => randomState(r)));
    out.push(t(`${DC_REG[reg]} st2, st0`, [0xdc, 0xc0 | (reg << 3) | 2], (r) => randomState(r, { value: closePair, depth: [1, 4] })));
    out.push(t(`${DE_REG[reg]} st1, st0`, [0xde, 0xc0 | (reg << 3) | 1], (r) => randomState(r, { value: closePair, depth: [0, 3] })));
  });
  IARITH.forEach((m, reg) => {
    if (reg === 2 || reg === 3) return;
    out.push(t(`${m} dword [ebx]`, [0xda, modrmMem(reg)], (r) => withMem(r, 'i32')));
    out.push(t(`${m} word [ebx]`, [0xde, modrmMem(reg)], (r) => withMem(r, 'i16')));
  });
  return out;
}

function compare(): Template[] {
  const out: Template[] = [];
  const pair = (r: Rng): X87State => randomState(r, { value: (g, k) => (k < 2 && g.chance(0.3) ? operand(g, 0x3fff, 0) : closePair(g, k)), depth: [0, 3] });
  for (const [asm, code] of [
    ['fcom st1', [0xd8, 0xd1]], ['fcomp st1', [0xd8, 0xd9]], ['fcompp', [0xde, 0xd9]], ['fucom st1', [0xdd, 0xe1]],
    ['fucomp st1', [0xdd, 0xe9]], ['fucompp', [0xda, 0xe9]], ['fcomi st1', [0xdb, 0xf1]], ['fcomip st1', [0xdf, 0xf1]],
    ['fucomi st1', [0xdb, 0xe9]], ['fucomip st1', [0xdf, 0xe9]], ['fcom2 st1 (dc d1)', [0xdc, 0xd1]], ['fcomp3 st1 (dc d9)', [0xdc, 0xd9]],
    ['fcomp5 st1 (de d1)', [0xde, 0xd1]], ['ftst', [0xd9, 0xe4]], ['fxam', [0xd9, 0xe5]],
  ] as [string, number[]][])
    out.push(t(asm, code, pair));
  out.push(t('fcom dword [ebx]', [0xd8, 0x13], (r) => withMem(r, 'f32')));
  out.push(t('fcomp qword [ebx]', [0xdc, 0x1b], (r) => withMem(r, 'f64')));
  out.push(t('ficom word [ebx]', [0xde, 0x13], (r) => withMem(r, 'i16')));
  out.push(t('ficomp dword [ebx]', [0xda, 0x1b], (r) => withMem(r, 'i32')));
  return out;
}

function unary(): Template[] {
  const out: Template[] = [];
  for (const [asm, code] of [
    ['fsqrt', [0xd9, 0xfa]], ['frndint', [0xd9, 0xfc]], ['fabs', [0xd9, 0xe1]], ['fchs', [0xd9, 0xe0]], ['fxtract', [0xd9, 0xf4]],
  ] as [string, number[]][])
    out.push(t(asm, code, (r) => randomState(r, { depth: [0, 8] })));
  const scaleArg = (g: Rng, k: number): Raw => (k === 1 && g.chance(0.7) ? operand(g, 0x3fff + 4, 6) : operand(g));
  out.push(t('fscale', [0xd9, 0xfd], (r) => randomState(r, { value: scaleArg, depth: [1, 3] })));
  const remArgs = (g: Rng, k: number): Raw => (k === 0 ? operand(g, 0x3fff + g.pick([0, 10, 63, 64, 100, 1000]), 10) : operand(g));
  out.push(t('fprem', [0xd9, 0xf8], (r) => randomState(r, { value: remArgs, depth: [1, 3] })));
  out.push(t('fprem1', [0xd9, 0xf5], (r) => randomState(r, { value: remArgs, depth: [1, 3] })));
  return out;
}

function loadStore(): Template[] {
  const out: Template[] = [];
  const st = (o: StateOptions = {}) => (r: Rng): X87State => randomState(r, { depth: [0, 8], ...o });
  out.push(t('fld dword [ebx]', [0xd9, 0x03], (r) => withMem(r, 'f32', { depth: [0, 8] })));
  out.push(t('fld qword [ebx]', [0xdd, 0x03], (r) => withMem(r, 'f64', { depth: [0, 8] })));
  out.push(t('fld tword [ebx]', [0xdb, 0x2b], st()));
  out.push(t('fld st2', [0xd9, 0xc2], st()));
  out.push(t('fst dword [ebx]', [0xd9, 0x13], st()));
  out.push(t('fstp dword [ebx]', [0xd9, 0x1b], st()));
  out.push(t('fst qword [ebx]', [0xdd, 0x13], st()));
  out.push(t('fstp qword [ebx]', [0xdd, 0x1b], st()));
  out.push(t('fstp tword [ebx]', [0xdb, 0x3b], st()));
  out.push(t('fst st3', [0xdd, 0xd3], st()));
  out.push(t('fstp st3', [0xdd, 0xdb], st()));
  out.push(t('fstp st0', [0xdd, 0xd8], st()));
  out.push(t('fstp1 st2 (d9 da)', [0xd9, 0xda], st()));
  out.push(t('fstp8 st2 (df d2)', [0xdf, 0xd2], st()));
  out.push(t('fstp9 st2 (df da)', [0xdf, 0xda], st()));
  out.push(t('fxch7 st1 (df c9)', [0xdf, 0xc9], st()));
  out.push(t('fild word [ebx]', [0xdf, 0x03], (r) => withMem(r, 'i16', { depth: [0, 8] })));
  out.push(t('fild dword [ebx]', [0xdb, 0x03], (r) => withMem(r, 'i32', { depth: [0, 8] })));
  out.push(t('fild qword [ebx]', [0xdf, 0x2b], (r) => withMem(r, 'i64', { depth: [0, 8] })));
  const ints = (g: Rng, k: number): Raw => (k === 0 && g.chance(0.6) ? operand(g, 0x3fff + g.pick([0, 7, 14, 15, 16, 30, 31, 32, 62, 63, 64]), 2) : operand(g));
  for (const [asm, code] of [
    ['fist word [ebx]', [0xdf, 0x13]], ['fistp word [ebx]', [0xdf, 0x1b]], ['fist dword [ebx]', [0xdb, 0x13]], ['fistp dword [ebx]', [0xdb, 0x1b]],
    ['fistp qword [ebx]', [0xdf, 0x3b]], ['fisttp word [ebx]', [0xdf, 0x0b]], ['fisttp dword [ebx]', [0xdb, 0x0b]], ['fisttp qword [ebx]', [0xdd, 0x0b]],
    ['fbstp tword [ebx]', [0xdf, 0x33]],
  ] as [string, number[]][])
    out.push(t(asm, code, st({ value: ints })));
  out.push(t('fbld tword [ebx]', [0xdf, 0x23], (r) => withMem(r, 'bcd', { depth: [0, 8] })));
  ['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz'].forEach((m, k) => out.push(t(m, [0xd9, 0xe8 + k], st())));
  out.push(t('fxch st3', [0xd9, 0xcb], st()));
  out.push(t('fxch4 st1 (dd c9)', [0xdd, 0xc9], st()));
  out.push(t('ffree st1', [0xdd, 0xc1], st()));
  out.push(t('ffreep st1 (df c1)', [0xdf, 0xc1], st()));
  out.push(t('fincstp', [0xd9, 0xf7], st()));
  out.push(t('fdecstp', [0xd9, 0xf6], st()));
  out.push(t('fnop', [0xd9, 0xd0], st()));
  ['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu'].forEach((m, k) => out.push(t(`${m} st0, st2`, [0xda, 0xc2 | (k << 3)], st())));
  ['fcmovnb', 'fcmovne', 'fcmovnbe', 'fcmovnu'].forEach((m, k) => out.push(t(`${m} st0, st2`, [0xdb, 0xc2 | (k << 3)], st())));
  return out;
}

function control(): Template[] {
  const st = (r: Rng): X87State => randomState(r, { depth: [0, 8], unmasked: 0.5 });
  const env = (r: Rng): X87State => {
    const s = randomState(r, { depth: [0, 8] });
    // A random environment whose status word has only masked flags pending.
    const mem = Array.from({ length: 32 }, () => r.int(256));
    const cw = 0x40 | 0x3f | (r.int(16) << 8);
    mem[0] = cw & 0xff;
    mem[1] = cw >> 8;
    mem[4] &= 0x3f | 0xc0;
    mem[5] &= 0x7f;
    return { ...s, m: mem.map((b) => b.toString(16).padStart(2, '0')).join('') };
  };
  const cwMem = (r: Rng): X87State => {
    const s = randomState(r, { depth: [0, 8] });
    return { ...s, m: (r.u32() & 0xffff | 0x3f).toString(16).padStart(4, '0').replace(/(..)(..)/, '$2$1') + s.m.slice(4) };
  };
  return [
    t('fnstsw ax', [0xdf, 0xe0], st),
    t('fnstsw word [ebx]', [0xdd, 0x3b], st),
    t('fnstcw word [ebx]', [0xd9, 0x3b], st),
    t('fldcw word [ebx]', [0xd9, 0x2b], cwMem),
    t('fnclex', [0xdb, 0xe2], st),
    t('fninit', [0xdb, 0xe3], st),
    t('fnstenv [ebx]', [0xd9, 0x33], st),
    t('o16 fnstenv [ebx]', [0x66, 0xd9, 0x33], st),
    t('fldenv [ebx]', [0xd9, 0x23], env),
    t('o16 fldenv [ebx]', [0x66, 0xd9, 0x23], env),
    t('fneni (db e0)', [0xdb, 0xe0], st),
    t('fndisi (db e1)', [0xdb, 0xe1], st),
    t('fnsetpm (db e4)', [0xdb, 0xe4], st),
  ];
}

function transcendental(): Template[] {
  const trig = (g: Rng, k: number): Raw => (k === 0 ? operand(g, 0x3fff + g.pick([0, 0, 2, 5, 10, 20, 40, 62, 63, 64, -10, -40]), 3) : operand(g));
  const unit = (g: Rng, k: number): Raw => (k === 0 ? { ...operand(g, 0x3ffe, 3), exp: 0x3ffe - g.int(g.chance(0.2) ? 80 : 8) } : operand(g));
  const smallX = (g: Rng, k: number): Raw => (k === 0 ? { ...operand(g, 0x3ffc, 3), exp: 0x3ffc - g.int(g.chance(0.2) ? 80 : 10) } : operand(g));
  const posX = (g: Rng, k: number): Raw => (k === 0 ? { ...operand(g, 0x3fff, 30), sign: g.chance(0.05) ? 1 : 0 } : operand(g));
  const s = (value: (g: Rng, k: number) => Raw) => (r: Rng): X87State => randomState(r, { value, depth: [1, 3], unmasked: 0.05 });
  return [
    t('fsin', [0xd9, 0xfe], s(trig)),
    t('fcos', [0xd9, 0xff], s(trig)),
    t('fsincos', [0xd9, 0xfb], s(trig)),
    t('fptan', [0xd9, 0xf2], s(trig)),
    t('fpatan', [0xd9, 0xf3], s((g) => operand(g))),
    t('f2xm1', [0xd9, 0xf0], s(unit)),
    t('fyl2x', [0xd9, 0xf1], s(posX)),
    t('fyl2xp1', [0xd9, 0xf9], s(smallX)),
  ];
}

export const FAMILIES: readonly Family[] = [
  { name: 'arith', description: 'FADD FSUB FSUBR FMUL FDIV FDIVR and FIxxx: m32/m64/m16int/m32int and register forms', perTemplate: 300, templates: arithmetic() },
  { name: 'compare', description: 'FCOM FCOMP FCOMPP FUCOM* FCOMI* FUCOMI* FICOM* FTST FXAM and the DC/DE aliases', perTemplate: 250, templates: compare() },
  { name: 'unary', description: 'FSQRT FRNDINT FABS FCHS FXTRACT FSCALE FPREM FPREM1', perTemplate: 500, templates: unary() },
  { name: 'loadstore', description: 'FLD FST FSTP FILD FIST FISTP FISTTP FBLD FBSTP, constants, FXCH FFREE FFREEP FINCSTP FDECSTP FNOP FCMOVcc', perTemplate: 200, templates: loadStore() },
  { name: 'control', description: 'FNSTSW FNSTCW FLDCW FNCLEX FNINIT FNSTENV FLDENV (32- and 16-bit formats), FNENI FNDISI FNSETPM', perTemplate: 150, templates: control() },
  { name: 'transcendental', description: 'FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1', perTemplate: 400, templates: transcendental() },
  ...SPECIAL_FAMILIES,
  ...FAMILIES64,
];
