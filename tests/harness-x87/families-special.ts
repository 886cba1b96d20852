// Fixture families that sweep the corners (32-bit mode): operands drawn evenly from the
// special classes of SDM Vol. 1 8.2.2 (Table 8-3) and 4.8.3, every rounding-control and
// precision-control setting with equal weight, unmasked exceptions that end in #MF at the
// next waiting instruction (CR0.NE = 1, SDM Vol. 1 8.7), and the transcendental
// instructions on special operands.
import { memFloat, memInt, operand, type Raw, type Rng, randomState, rawHex, type StateOptions } from './gen-cases.ts';
import type { X87State } from './format.ts';
import { type Family, type MemKind, memOf, modrmMem, type Template, t } from './template.ts';

const J = 1n << 63n;
const FWAIT = 0x9b;

/** One operand class picked with equal weight (SDM Vol. 1 Table 8-3 and 4.8.3). */
export function specialOperand(r: Rng): Raw {
  const sign = r.int(2);
  const frac = (): bigint => r.bits(63) >> BigInt(r.int(63)) || 1n;
  switch (r.int(16)) {
    case 0:
      return { sign, exp: 0, mant: 0n };
    case 1:
      return { sign, exp: 0, mant: frac() };
    case 2:
      return { sign, exp: 0, mant: J | r.bits(63) }; // pseudo-denormal
    case 3:
      return { sign, exp: 1 + r.int(0x7ffe), mant: r.bits(63) }; // unnormal
    case 4:
      return { sign, exp: 0x7fff, mant: J }; // infinity
    case 5:
      return { sign, exp: 0x7fff, mant: 0n }; // pseudo-infinity
    case 6:
      return { sign, exp: 0x7fff, mant: J | (1n << 62n) | (r.chance(0.3) ? 0n : r.bits(62)) }; // QNaN (or the indefinite)
    case 7:
      return { sign, exp: 0x7fff, mant: J | (r.bits(62) || 1n) }; // SNaN
    case 8:
      return { sign, exp: 0x7fff, mant: r.bits(63) || 1n }; // pseudo-NaN
    case 9:
      return { sign, exp: r.pick([0x7ffe, 0x7ffd, 0x7ffe - r.int(64)]), mant: r.chance(0.5) ? (1n << 64n) - 1n : J | r.bits(63) }; // near overflow
    case 10:
      return { sign, exp: r.pick([1, 2, 1 + r.int(64)]), mant: r.chance(0.5) ? J : J | r.bits(63) }; // near underflow
    case 11:
      return { sign, exp: 0x3fff, mant: r.pick([J, J | 1n, (1n << 64n) - 1n, J | r.bits(63)]) }; // around 1
    case 12:
      // Single and double boundaries (overflow, underflow, denormal range after conversion).
      return { sign, exp: r.pick([0x3fff + 127, 0x3fff + 128, 0x3fff - 126, 0x3fff - 149, 0x3fff - 150, 0x3fff + 1023, 0x3fff + 1024, 0x3fff - 1022, 0x3fff - 1074, 0x3fff - 1075]) + r.int(3) - 1, mant: J | r.bits(63) };
    default:
      return operand(r);
  }
}

/** A control word: RC and PC with equal weight (PC 01 reserved included), random masks half the time. */
function controlWord(r: Rng, unmasked: number): number {
  const masks = r.chance(unmasked) ? r.int(64) : 0x3f;
  return 0x40 | masks | (r.int(4) << 8) | (r.int(4) << 10);
}

/** randomState with special operands and the control word of controlWord(); only masked flags stay pending. */
function specialState(r: Rng, o: StateOptions & { unmaskedCw?: number; memKind?: MemKind } = {}): X87State {
  const s = randomState(r, { depth: [2, 3], value: (g) => specialOperand(g), ...o, mem: o.memKind ? memOf(r, o.memKind) : o.mem });
  const cw = controlWord(r, o.unmaskedCw ?? 0.3);
  const sw = parseInt(s.sw, 16) & ~0x3f & ~0x80 & ~0x8000;
  return { ...s, cw: cw.toString(16).padStart(4, '0'), sw: ((sw | (r.int(64) & cw & 0x3f)) & 0xffff).toString(16).padStart(4, '0') };
}

/** A float memory operand from the special classes most of the time. */
function specialMem(r: Rng, bits: 32 | 64): number[] {
  if (r.chance(0.4)) return memFloat(r, bits);
  const v = specialOperand(r);
  // Narrow the 80-bit operand by truncation: it keeps the class (zero, denormal, NaN ...).
  const [eb, fb] = bits === 32 ? [8, 23] : [11, 52];
  const bias = (1 << (eb - 1)) - 1;
  const maxE = (1 << eb) - 1;
  let e: number;
  if (v.exp === 0x7fff) e = maxE;
  else if (v.exp === 0) e = 0;
  else e = Math.min(maxE - 1, Math.max(r.chance(0.2) ? 0 : 1, v.exp - 0x3fff + bias));
  const f = (v.mant & (J - 1n)) >> BigInt(63 - fb);
  const raw = (BigInt(v.sign) << BigInt(bits - 1)) | (BigInt(e) << BigInt(fb)) | (e === maxE && v.mant !== J && f === 0n ? 1n : f);
  return Array.from({ length: bits / 8 }, (_, k) => Number((raw >> BigInt(8 * k)) & 0xffn));
}

const memState = (kind: 'f32' | 'f64' | 'i16' | 'i32') => (r: Rng): X87State => {
  const mem = kind === 'f32' ? specialMem(r, 32) : kind === 'f64' ? specialMem(r, 64) : memInt(r, kind === 'i16' ? 2 : 4);
  return specialState(r, { mem });
};

function special(): Template[] {
  const out: Template[] = [];
  const st = (r: Rng): X87State => specialState(r);
  ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'].forEach((m, reg) => {
    if (reg === 2 || reg === 3) return;
    out.push(t(`${m} st0, st1`, [0xd8, 0xc0 | (reg << 3) | 1], st));
    out.push(t(`${m} dword [ebx]`, [0xd8, modrmMem(reg)], memState('f32')));
    out.push(t(`${m} qword [ebx]`, [0xdc, modrmMem(reg)], memState('f64')));
  });
  for (const [asm, code] of [
    ['fsqrt', [0xd9, 0xfa]], ['frndint', [0xd9, 0xfc]], ['fxtract', [0xd9, 0xf4]], ['fscale', [0xd9, 0xfd]],
    ['fprem', [0xd9, 0xf8]], ['fprem1', [0xd9, 0xf5]], ['fucom st1', [0xdd, 0xe1]], ['fcomi st1', [0xdb, 0xf1]],
    ['fucomip st1', [0xdf, 0xe9]], ['ftst', [0xd9, 0xe4]], ['fxam', [0xd9, 0xe5]], ['fabs', [0xd9, 0xe1]], ['fchs', [0xd9, 0xe0]],
    ['fst dword [ebx]', [0xd9, 0x13]], ['fst qword [ebx]', [0xdd, 0x13]], ['fstp tword [ebx]', [0xdb, 0x3b]],
    ['fist word [ebx]', [0xdf, 0x13]], ['fist dword [ebx]', [0xdb, 0x13]], ['fistp qword [ebx]', [0xdf, 0x3b]],
    ['fisttp dword [ebx]', [0xdb, 0x0b]], ['fbstp tword [ebx]', [0xdf, 0x33]], ['fld st1', [0xd9, 0xc1]],
  ] as [string, number[]][])
    out.push(t(asm, code, st));
  out.push(t('fld dword [ebx]', [0xd9, 0x03], memState('f32')));
  out.push(t('fld qword [ebx]', [0xdd, 0x03], memState('f64')));
  out.push(t('fld tword [ebx]', [0xdb, 0x2b], (r) => specialState(r, { mem: tword(r) })));
  out.push(t('fiadd word [ebx]', [0xde, 0x03], memState('i16')));
  out.push(t('fidivr dword [ebx]', [0xda, 0x3b], memState('i32')));
  return out;
}

/** A special 80-bit operand as memory bytes, then random bytes up to 32. */
function tword(r: Rng): number[] {
  const hex = rawHex(specialOperand(r));
  const bytes = Array.from({ length: 10 }, (_, k) => parseInt(hex.slice(18 - 2 * k, 20 - 2 * k), 16));
  while (bytes.length < 32) bytes.push(r.int(256));
  return bytes;
}

/**
 * An instruction that may raise an unmasked exception, then a waiting instruction: with
 * CR0.NE the waiting one takes #MF (vector 16) before it executes (SDM Vol. 1 8.7.2).
 */
function unmaskedThenWait(): Template[] {
  const out: Template[] = [];
  const st = (r: Rng): X87State => specialState(r, { unmaskedCw: 0.9, depth: [1, 8] });
  const m = (kind: 'f32' | 'f64' | 'i16' | 'i32') => (r: Rng): X87State => ({ ...specialState(r, { unmaskedCw: 0.9 }), m: memState(kind)(r).m });
  const causes: [string, number[], (r: Rng) => X87State][] = [
    ['fadd st0, st1', [0xd8, 0xc1], st], ['fmul st0, st1', [0xd8, 0xc9], st], ['fdiv st0, st1', [0xd8, 0xf1], st],
    ['fsub st0, st1', [0xd8, 0xe1], st], ['fsqrt', [0xd9, 0xfa], st], ['fscale', [0xd9, 0xfd], st], ['fprem', [0xd9, 0xf8], st],
    ['fxtract', [0xd9, 0xf4], st], ['frndint', [0xd9, 0xfc], st], ['fcom st1', [0xd8, 0xd1], st], ['fld st1', [0xd9, 0xc1], st],
    ['fld dword [ebx]', [0xd9, 0x03], m('f32')], ['fdivr qword [ebx]', [0xdc, 0x3b], m('f64')], ['fst dword [ebx]', [0xd9, 0x13], st],
    ['fstp qword [ebx]', [0xdd, 0x1b], st], ['fist word [ebx]', [0xdf, 0x13], st], ['fimul dword [ebx]', [0xda, 0x0b], m('i32')],
    ['fxch st1', [0xd9, 0xc9], st], ['fsin', [0xd9, 0xfe], st], ['fyl2x', [0xd9, 0xf1], st],
  ];
  for (const [asm, code, state] of causes) out.push(t(`${asm}; fwait`, [...code, FWAIT], state));
  // Other instructions that check for a pending exception, and one that does not (FNSTSW).
  out.push(t('fdiv st0, st1; fld1', [0xd8, 0xf1, 0xd9, 0xe8], st));
  out.push(t('fmul st0, st1; fnop', [0xd8, 0xc9, 0xd9, 0xd0], st));
  out.push(t('fsqrt; fnstsw ax; fwait', [0xd9, 0xfa, 0xdf, 0xe0, FWAIT], st));
  out.push(t('fadd st0, st1; fnstenv [ebx]; fwait', [0xd8, 0xc1, 0xd9, 0x33, FWAIT], st));
  return out;
}

/** The transcendental instructions on operands from the special classes, in every mode. */
function transcendentalSpecial(): Template[] {
  const st = (r: Rng): X87State => specialState(r, { depth: [0, 8], value: (g) => (g.chance(0.15) ? { sign: g.int(2), exp: 0x3fff + 63 + g.int(200), mant: J | g.bits(63) } : specialOperand(g)) });
  return [
    ['fsin', [0xd9, 0xfe]], ['fcos', [0xd9, 0xff]], ['fsincos', [0xd9, 0xfb]], ['fptan', [0xd9, 0xf2]],
    ['fpatan', [0xd9, 0xf3]], ['f2xm1', [0xd9, 0xf0]], ['fyl2x', [0xd9, 0xf1]], ['fyl2xp1', [0xd9, 0xf9]],
  ].map(([asm, code]) => t(asm as string, code as number[], st));
}

/**
 * FPTAN of small operands, where the host's result lies just above or just below x by a rule
 * of its own (core/fpu/tan-small.ts): normals below 2^-34 down to the smallest, the region
 * 2^-36..2^-30 where the model hands over to the correctly rounded tangent, and denormals
 * of every width, both signs, in every RC and PC setting (directed rounding shows the side).
 */
function fptanSmall(): Template[] {
  const small = (g: Rng, k: number): Raw => {
    if (k !== 0) return operand(g);
    const c = g.int(10);
    if (c < 5) return { sign: g.int(2), exp: 0x3fff - 35 - g.int(g.chance(0.2) ? 16000 : 60), mant: J | g.bits(63) };
    if (c < 7) return { sign: g.int(2), exp: 0x3fff - 36 + g.int(7), mant: J | g.bits(63) };
    if (c < 8) return { sign: g.int(2), exp: 1 + g.int(3), mant: J | g.bits(63) };
    return { sign: g.int(2), exp: 0, mant: g.bits(1 + g.int(63)) };
  };
  const st = (r: Rng): X87State => randomState(r, { value: small, depth: [1, 3], unmasked: 0.05 });
  return [t('fptan', [0xd9, 0xf2], st)];
}

/**
 * FSIN, FCOS and FSINCOS where the host's polynomials (core/fpu/sincos-host.ts) round
 * differently from the exact value: operands mostly in [2^-4, 1), the rest from 2^-8 to 2^62,
 * every RC and PC setting.
 */
function sinCosHost(): Template[] {
  const arg = (g: Rng, k: number): Raw => {
    if (k !== 0) return operand(g);
    const e = g.chance(0.6) ? -4 + g.int(4) : -8 + g.int(71);
    return { sign: g.int(2), exp: 0x3fff + e, mant: J | g.bits(63) };
  };
  const st = (r: Rng): X87State => randomState(r, { value: arg, depth: [1, 3], unmasked: 0.05 });
  return [t('fsin', [0xd9, 0xfe], st), t('fcos', [0xd9, 0xff], st), t('fsincos', [0xd9, 0xfb], st)];
}

/**
 * F2XM1 where the host's rational (core/fpu/f2xm1-host.ts) rounds differently from the exact
 * value: operands spread over the binades 2^-8 to 2^-1, the rest from 2^-70 to 2^-9, every RC
 * and PC setting.
 */
function f2xm1Host(): Template[] {
  const arg = (g: Rng, k: number): Raw => {
    if (k !== 0) return operand(g);
    const e = g.chance(0.8) ? -8 + g.int(8) : -70 + g.int(62);
    return { sign: g.int(2), exp: 0x3fff + e, mant: J | g.bits(63) };
  };
  const st = (r: Rng): X87State => randomState(r, { value: arg, depth: [1, 3], unmasked: 0.05 });
  return [t('f2xm1', [0xd9, 0xf0], st)];
}

/**
 * FPTAN where the host's rational (core/fpu/tan-rational.ts) rounds differently from the exact
 * value: operands mostly in [2^-5, 1) (reduced arguments up to pi/4, and -C / S beyond), the
 * rest from 2^-33 to 2^-6 and from 1 to 2^62, every RC and PC setting.
 */
function fptanHost(): Template[] {
  const arg = (g: Rng, k: number): Raw => {
    if (k !== 0) return operand(g);
    const c = g.int(20);
    const e = c < 14 ? -5 + g.int(5) : c < 17 ? -33 + g.int(28) : g.int(63);
    return { sign: g.int(2), exp: 0x3fff + e, mant: J | g.bits(63) };
  };
  const st = (r: Rng): X87State => randomState(r, { value: arg, depth: [1, 3], unmasked: 0.05 });
  return [t('fptan', [0xd9, 0xf2], st)];
}

/**
 * The forms of the JIT's fast path (jit/emit/x87.ts) on the operands it takes: normal values
 * with close exponents, round to nearest with 53- and 64-bit precision, PE masked, and now
 * and then a case just outside (another RC or PC, PE unmasked, a special operand).
 */
function fastPath(): Template[] {
  const normal = (r: Rng): Raw => (r.chance(0.9) ? operand(r, 0x3fff, 70) : specialOperand(r));
  const st = (r: Rng): X87State => {
    const s = randomState(r, { depth: [1, 7], value: (g) => normal(g), unmasked: 0 });
    const odd = r.chance(0.1);
    const cw = 0x40 | (odd && r.chance(0.3) ? 0x1f : 0x3f) | ((odd ? r.int(4) : r.pick([2, 3, 3])) << 8) | ((odd ? r.int(4) : 0) << 10);
    return { ...s, cw: cw.toString(16).padStart(4, '0') };
  };
  const withFloat = (bits: 32 | 64) => (r: Rng): X87State => {
    const s = st(r);
    const mem = memFloat(r, bits);
    return { ...s, m: mem.map((b) => b.toString(16).padStart(2, '0')).join('') + s.m.slice(2 * mem.length) };
  };
  return [
    t('fadd st0, st1', [0xd8, 0xc1], st), t('fmul st0, st1', [0xd8, 0xc9], st), t('fadd st2, st0', [0xdc, 0xc2], st),
    t('fmul st3, st0', [0xdc, 0xcb], st), t('faddp st1, st0', [0xde, 0xc1], st), t('fmulp st2, st0', [0xde, 0xca], st),
    t('fadd dword [ebx]', [0xd8, 0x03], withFloat(32)), t('fmul qword [ebx]', [0xdc, 0x0b], withFloat(64)),
    t('fld qword [ebx]', [0xdd, 0x03], withFloat(64)), t('fld dword [ebx]', [0xd9, 0x03], withFloat(32)),
    t('fst qword [ebx]', [0xdd, 0x13], st), t('fstp dword [ebx]', [0xd9, 0x1b], st), t('fxch st2', [0xd9, 0xca], st),
    t('fld st1', [0xd9, 0xc1], st), t('fld1', [0xd9, 0xe8], st), t('fldz', [0xd9, 0xee], st),
    t('fsub st0, st1', [0xd8, 0xe1], st), t('fsubr st0, st1', [0xd8, 0xe9], st), t('fsub st2, st0', [0xdc, 0xea], st),
    t('fsubr st2, st0', [0xdc, 0xe2], st), t('fsubp st1, st0', [0xde, 0xe9], st), t('fsubrp st1, st0', [0xde, 0xe1], st),
    t('fsub qword [ebx]', [0xdc, 0x23], withFloat(64)), t('fsubr dword [ebx]', [0xd8, 0x2b], withFloat(32)),
  ];
}

export const SPECIAL_FAMILIES: readonly Family[] = [
  { name: 'fast-path', description: 'the forms of the JIT fast path on normal operands, round to nearest, 53/64-bit precision, and cases just outside', perTemplate: 200, templates: fastPath() },
  { name: 'special', description: 'arithmetic, comparisons, conversions and stores on operands from every special class, every RC and PC setting', perTemplate: 220, templates: special() },
  { name: 'unmasked', description: 'unmasked exceptions followed by a waiting instruction: #MF with CR0.NE', perTemplate: 160, templates: unmaskedThenWait() },
  { name: 'fptan-small', description: 'FPTAN of operands below 2^-30 and denormals, every RC and PC setting', perTemplate: 1500, templates: fptanSmall() },
  { name: 'sincos-host', description: 'FSIN FCOS FSINCOS of operands from 2^-8 to 2^62, mostly in [2^-4, 1), every RC and PC setting', perTemplate: 500, templates: sinCosHost() },
  { name: 'f2xm1-host', description: 'F2XM1 of operands from 2^-70 to 1, mostly in [2^-8, 1), every RC and PC setting', perTemplate: 1500, templates: f2xm1Host() },
  { name: 'fptan-host', description: 'FPTAN of operands from 2^-33 to 2^62, mostly in [2^-5, 1), every RC and PC setting', perTemplate: 1500, templates: fptanHost() },
  { name: 'transcendental-special', description: 'FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1 on special operands, huge trigonometric arguments, stack faults', perTemplate: 250, templates: transcendentalSpecial() },
];
