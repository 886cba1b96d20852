// The SSE fixture families: instruction templates (NASM syntax, XMM1 destination, XMM2
// source, XMM0 the implicit mask of the BLENDV forms) and how to fill their inputs. Values
// mix random bits with the special ones the SDM treats apart: signed zeros, denormals, the
// smallest and largest normals, infinities, QNaNs and SNaNs, halves for rounding, and
// integer-conversion boundaries. Every case runs under one of the 16 combinations of the
// rounding mode, DAZ and FTZ, all exceptions masked.

/** A little deterministic PRNG (xorshift32) so that a family records the same cases. */
export class Rng {
  private s: number;
  constructor(seed: string) {
    let h = 2166136261;
    for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
    this.s = h >>> 0 || 1;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.u32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)] as T;
  }
}

/** f32d/f64d: small integers times powers of two, so that many results are exact. */
export type LaneKind = 'f32' | 'f64' | 'f32d' | 'f64d' | 'int' | 'str';

export interface Template {
  readonly asm: string;
  /** Kind of the values in XMM0-XMM2. */
  readonly lanes: LaneKind;
  /** The instruction reads EAX/ECX/EDX: random 32-bit values (or lengths for PCMPESTRx). */
  readonly gpr?: 'int' | 'f32' | 'len' | 'int64';
  readonly cases: number;
}

export interface Family {
  readonly name: string;
  /** 64: recorded by the 64-bit recorder; templates use XMM8-XMM15 and RAX RCX RDX. */
  readonly bits?: 64;
  readonly description: string;
  readonly templates: readonly Template[];
}

const F32_SPECIAL = [
  0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00400000, 0x00800000, 0x80800000,
  0x00800001, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc12345, 0x7f800001,
  0xff812345, 0x3f800000, 0xbf800000, 0x3f000000, 0x3fc00000, 0x40200000, 0xbfc00000, 0x4effffff, 0x4f000000,
  0xcf000000, 0xcf000001, 0x5f000000, 0xdf000000, 0x7effffff, 0x00ffffff, 0x33800000, 0x34000000, 0x3f7fffff,
];
const F64_SPECIAL: bigint[] = [
  0x0n, 0x8000000000000000n, 0x1n, 0x8000000000000001n, 0x000fffffffffffffn, 0x800fffffffffffffn, 0x0008000000000000n,
  0x0010000000000000n, 0x8010000000000000n, 0x0010000000000001n, 0x7fefffffffffffffn, 0xffefffffffffffffn,
  0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff8123456789abcn,
  0x7ff0000000000001n, 0xfff0123456789abcn, 0x3ff0000000000000n, 0xbff0000000000000n, 0x3fe0000000000000n,
  0x3ff8000000000000n, 0x4004000000000000n, 0xbff8000000000000n, 0x41dfffffffc00000n, 0x41e0000000000000n,
  0xc1e0000000000000n, 0xc1e0000000200000n, 0x43e0000000000000n, 0xc3e0000000000000n, 0x36a0000000000000n,
  0x3810000000000000n, 0x380fffffffffffffn, 0x47efffffe0000000n, 0x3feffffffffffffn,
];

function randomF32(r: Rng): number {
  const roll = r.below(10);
  if (roll < 3) return r.pick(F32_SPECIAL) >>> 0;
  if (roll < 5) return r.u32();
  const sign = r.below(2) << 31;
  // Exponents near 1.0, near the subnormal boundary or near overflow.
  const exp = roll < 7 ? 127 - 30 + r.below(60) : roll < 8 ? r.below(30) : roll < 9 ? 254 - r.below(30) : r.below(256);
  const mant = r.below(3) === 0 ? (r.u32() & 0x7fffff) & ~((1 << r.below(23)) - 1) : r.u32() & 0x7fffff;
  return (sign | (exp << 23) | mant) >>> 0;
}

function randomF64(r: Rng): bigint {
  const roll = r.below(10);
  if (roll < 3) return r.pick(F64_SPECIAL);
  const bits = (BigInt(r.u32()) << 32n) | BigInt(r.u32());
  if (roll < 5) return bits;
  const sign = BigInt(r.below(2)) << 63n;
  const exp = roll < 7 ? 1023 - 60 + r.below(120) : roll < 8 ? r.below(60) : roll < 9 ? 2046 - r.below(60) : r.below(2048);
  let mant = bits & 0xfffffffffffffn;
  if (r.below(3) === 0) mant &= ~((1n << BigInt(r.below(52))) - 1n);
  return sign | (BigInt(exp) << 52n) | mant;
}

const INT_SPECIAL = [0x00, 0xff, 0x80, 0x7f, 0x01, 0xfe];

/** 16 bytes of a lane kind, as hex in memory order. */
export function randomXmm(r: Rng, kind: LaneKind): string {
  const bytes: number[] = [];
  const push = (v: bigint, n: number): void => {
    for (let i = 0; i < n; i++) bytes.push(Number((v >> BigInt(8 * i)) & 0xffn));
  };
  const dyadic = (): number => (r.below(2) ? -1 : 1) * (r.below(4096) + (r.below(8) === 0 ? 0 : 1)) * 2 ** (r.below(41) - 20);
  const bitsOf = (x: number, single: boolean): bigint => {
    const dv = new DataView(new ArrayBuffer(8));
    if (single) dv.setFloat32(0, x, true);
    else dv.setFloat64(0, x, true);
    return single ? BigInt(dv.getUint32(0, true)) : dv.getBigUint64(0, true);
  };
  if (kind === 'f32d') for (let i = 0; i < 4; i++) push(bitsOf(dyadic(), true), 4);
  else if (kind === 'f64d') for (let i = 0; i < 2; i++) push(bitsOf(dyadic(), false), 8);
  else if (kind === 'f32') for (let i = 0; i < 4; i++) push(BigInt(randomF32(r)), 4);
  else if (kind === 'f64') for (let i = 0; i < 2; i++) push(randomF64(r), 8);
  else if (kind === 'str') {
    // Short alphabets so that string compares find matches, with NULs for the implicit lengths.
    const alphabet = r.pick([[0x61, 0x62, 0x63, 0x00], [0x41, 0x5a, 0x61, 0x7a, 0x30, 0x39], [0x00, 0x01, 0x80, 0xff]]);
    for (let i = 0; i < 16; i++) bytes.push(r.below(4) === 0 ? r.below(256) : r.pick(alphabet));
  } else {
    const mode = r.below(4);
    for (let i = 0; i < 16; i++) bytes.push(mode === 0 ? r.pick(INT_SPECIAL) : r.below(256));
  }
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** MXCSR: all exceptions masked, a random rounding mode, DAZ and FTZ, and sometimes flags already set. */
export function randomMxcsr(r: Rng): number {
  // A third of the cases in the state of a running program: round to nearest, PE already set
  // (the generated-code fast path of jit/emit/sse-float.ts).
  if (r.below(3) === 0) return 0x1fa0 | (r.below(2) << 6) | (r.below(2) << 15);
  let m = 0x1f80 | (r.below(4) << 13);
  if (r.below(2)) m |= 1 << 6;
  if (r.below(2)) m |= 1 << 15;
  if (r.below(8) === 0) m |= r.below(64);
  return m;
}

/** A 64-bit general register value (16 hex digits): random, small, or near the float-significand and integer limits. */
export function randomGpr64(r: Rng, kind: Template['gpr']): string {
  const hex = (v: bigint): string => BigInt.asUintN(64, v).toString(16).padStart(16, '0');
  if (kind === 'len') return hex(BigInt(r.below(4) === 0 ? (r.u32() | 0) % 40 : r.below(18)));
  if (kind !== 'int64') return hex(BigInt(randomGpr(r, kind)));
  const roll = r.below(6);
  const near = [1n << 53n, 1n << 24n, 1n << 63n, 1n << 62n, 1n << 31n, 1n << 32n];
  if (roll === 0) return hex(r.pick(near) + BigInt(r.below(5)) - 2n);
  if (roll === 1) return hex(-(r.pick(near) + BigInt(r.below(5)) - 2n));
  if (roll === 2) return hex(BigInt((r.u32() | 0) % 100000));
  return hex((BigInt(r.u32()) << 32n) | BigInt(r.u32()));
}

export function randomGpr(r: Rng, kind: Template['gpr']): number {
  if (kind === 'len') return r.below(4) === 0 ? (r.u32() | 0) % 40 : r.below(18);
  if (kind === 'f32') return randomF32(r);
  const roll = r.below(6);
  if (roll === 0) return r.pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x01000001, 0x00ffffff]);
  return r.u32();
}

const fpQuad = (base: string, n: number): Template[] =>
  ['ps', 'pd', 'ss', 'sd'].map((s) => ({ asm: `${base}${s} xmm1, xmm2`, lanes: s.endsWith('s') ? 'f32' : 'f64', cases: n }));

const ints = (names: string[], n = 60): Template[] => names.map((m) => ({ asm: `${m} xmm1, xmm2`, lanes: 'int' as const, cases: n }));

/** An MMX operation on MM1, MM2 loaded from XMM1, XMM2 and the result moved back (MOVDQ2Q, MOVQ2DQ). */
const mmx = (op: string, n = 40, lanes: LaneKind = 'int'): Template => ({
  asm: `movdq2q mm1, xmm1; movdq2q mm2, xmm2; ${op}; movq2dq xmm1, mm1; movq2dq xmm2, mm2; emms`,
  lanes,
  cases: n,
});

/** The source operand in memory: XMM2 stored at a 16-byte-aligned stack slot first (EBX keeps ESP; TEST makes the flags independent of ESP). */
const mem = (op: string, lanes: LaneKind, n = 60, gpr?: Template['gpr']): Template => ({
  asm: `mov ebx, esp; sub esp, 64; and esp, -16; test ebx, 0; movdqu [esp], xmm2; movdqu [esp+16], xmm1; ${op}; movdqu xmm2, [esp]; movdqu xmm0, [esp+16]; mov esp, ebx`,
  lanes,
  cases: n,
  gpr,
});

/**
 * AESKEYGENASSIST round constants: the ten of AES key expansion (FIPS-197 5.2, Rcon[i] =
 * x^(i-1) in GF(2^8)), 0, FFH, and random bytes (the instruction takes any imm8).
 */
const RCONS = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36, 0x00, 0xff];
const rconRng = new Rng('crypto-rcon');
for (let i = 0; i < 20; i++) RCONS.push(rconRng.below(256));

/** PCLMULQDQ imm8: the four quadword selections (bits 0 and 4) and values with the ignored bits set. */
const PCLMUL_IMMS = [0x00, 0x01, 0x10, 0x11];
const PCLMUL_IGNORED_BITS = [0x02, 0x0f, 0x13, 0x20, 0x7e, 0x80, 0xe1, 0xf0, 0xfe, 0xff];
const AES_ROUNDS = ['aesenc', 'aesenclast', 'aesdec', 'aesdeclast'];

const CRYPTO: Family = {
  name: 'crypto',
  description: 'AES-NI (AESENC/LAST, AESDEC/LAST, AESIMC, AESKEYGENASSIST with many RCON bytes) and PCLMULQDQ in every selector, register and aligned memory forms, chains in one block',
  templates: [
    ...AES_ROUNDS.map((m): Template => ({ asm: `${m} xmm1, xmm2`, lanes: 'int', cases: 400 })),
    { asm: 'aesimc xmm1, xmm2', lanes: 'int', cases: 300 },
    ...RCONS.map((n): Template => ({ asm: `aeskeygenassist xmm1, xmm2, ${n}`, lanes: 'int', cases: 15 })),
    ...PCLMUL_IMMS.map((n): Template => ({ asm: `pclmulqdq xmm1, xmm2, ${n}`, lanes: 'int', cases: 300 })),
    ...PCLMUL_IGNORED_BITS.map((n): Template => ({ asm: `pclmulqdq xmm1, xmm2, ${n}`, lanes: 'int', cases: 20 })),
    // Same register as both operands, and XMM0 (no other template writes it).
    ...[...AES_ROUNDS, 'aesimc'].map((m): Template => ({ asm: `${m} xmm1, xmm1`, lanes: 'int', cases: 20 })),
    { asm: 'pclmulqdq xmm0, xmm0, 0x10', lanes: 'int', cases: 20 },
    { asm: 'aeskeygenassist xmm0, xmm2, 0x1b', lanes: 'int', cases: 20 },
    ...[...AES_ROUNDS, 'aesimc', 'aeskeygenassist xmm1, [esp], 0x36', 'pclmulqdq xmm1, [esp], 0x01', 'pclmulqdq xmm1, [esp], 0x10'].map((m) =>
      mem(m.includes(' ') ? m : `${m} xmm1, [esp]`, 'int', 40),
    ),
    ...[
      // Two AES-128 rounds with a round key derived in between, and a GHASH-style multiply of the result.
      'aesenc xmm1, xmm2; aeskeygenassist xmm0, xmm2, 0x01; pshufd xmm0, xmm0, 0xff; pxor xmm2, xmm0; aesenc xmm1, xmm2; aesenclast xmm1, xmm0',
      'aesdec xmm1, xmm2; aesimc xmm0, xmm2; aesdec xmm1, xmm0; aesdeclast xmm1, xmm2',
      'aesenc xmm1, xmm2; aesdec xmm1, xmm2; aesenclast xmm2, xmm1; aesdeclast xmm2, xmm1',
      'movdqa xmm0, xmm1; pclmulqdq xmm0, xmm2, 0x00; pclmulqdq xmm1, xmm2, 0x11; movdqa xmm2, xmm1; pclmulqdq xmm2, xmm0, 0x01; pxor xmm1, xmm2',
    ].map((asm): Template => ({ asm, lanes: 'int', cases: 60 })),
  ],
};

const CRYPTO64: Family = {
  name: 'crypto64',
  bits: 64,
  description: '64-bit mode: AES-NI and PCLMULQDQ on XMM8-XMM15 (REX.R, REX.B and both)',
  templates: [
    ...[...AES_ROUNDS, 'aesimc'].flatMap((m): Template[] => [
      { asm: `${m} xmm9, xmm10`, lanes: 'int', cases: 100 },
      { asm: `${m} xmm9, xmm2`, lanes: 'int', cases: 30 },
      { asm: `${m} xmm1, xmm10; movdqa xmm8, xmm1`, lanes: 'int', cases: 30 },
      { asm: `movdqa xmm15, xmm9; ${m} xmm15, xmm10; movdqa xmm9, xmm15`, lanes: 'int', cases: 30 },
    ]),
    ...[0x01, 0x1b, 0x36, 0x8d].map((n): Template => ({ asm: `aeskeygenassist xmm9, xmm10, ${n}`, lanes: 'int', cases: 40 })),
    ...PCLMUL_IMMS.flatMap((n): Template[] => [
      { asm: `pclmulqdq xmm9, xmm10, ${n}`, lanes: 'int', cases: 100 },
      { asm: `pclmulqdq xmm1, xmm10, ${n}; movdqa xmm8, xmm1`, lanes: 'int', cases: 20 },
    ]),
  ],
};

/**
 * RCPPS/RCPSS and RSQRTPS/RSQRTSS: implementation-specific approximations (SDM Vol. 2B RCPPS)
 * that core/simd/rcp.ts reproduces for this host; special, random and dyadic values, register
 * and memory sources (aligned m128, unaligned m32), every MXCSR mode, and a chain in one block.
 */
const RCP_FORMS = ['rcpps', 'rcpss', 'rsqrtps', 'rsqrtss'];

const RCP: Family = {
  name: 'rcp',
  description: 'RCPPS RCPSS RSQRTPS RSQRTSS (the host\'s approximations): special, random and dyadic values, register and memory sources, every MXCSR mode',
  templates: [
    ...RCP_FORMS.map((m): Template => ({ asm: `${m} xmm1, xmm2`, lanes: 'f32', cases: 500 })),
    ...RCP_FORMS.map((m): Template => ({ asm: `${m} xmm1, xmm2`, lanes: 'f32d', cases: 100 })),
    ...RCP_FORMS.map((m) => mem(`${m} xmm1, [esp]`, 'f32', 100)),
    ...['rcpss', 'rsqrtss'].map((m) => mem(`${m} xmm1, [esp+4]`, 'f32', 50)),
    { asm: 'rcpps xmm1, xmm2; rsqrtps xmm2, xmm1; rcpss xmm0, xmm2; rsqrtss xmm1, xmm0', lanes: 'f32', cases: 100 },
  ],
};

export const FAMILIES: readonly Family[] = [
  {
    name: 'sse-arith',
    description: 'ADD SUB MUL DIV MIN MAX SQRT in PS PD SS SD forms, all rounding modes with DAZ/FTZ',
    templates: [
      ...['add', 'sub', 'mul', 'div', 'min', 'max', 'sqrt'].flatMap((b) => fpQuad(b, 500)),
      // Exact and inexact results of simple values (the PE test of the generated-code fast path).
      ...['add', 'sub', 'mul', 'div', 'sqrt'].flatMap((b) => fpQuad(b, 150).map((t) => ({ ...t, lanes: t.lanes === 'f32' ? ('f32d' as const) : ('f64d' as const) }))),
    ],
  },
  {
    name: 'sse-compare',
    description: 'CMPPS/PD/SS/SD predicates 0-7, COMISS/COMISD, UCOMISS/UCOMISD',
    templates: [
      ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((p) =>
        ['ps', 'pd', 'ss', 'sd'].map((s): Template => ({ asm: `cmp${s} xmm1, xmm2, ${p}`, lanes: s.endsWith('s') ? 'f32' : 'f64', cases: 120 })),
      ),
      ...['comiss', 'ucomiss'].map((m): Template => ({ asm: `${m} xmm1, xmm2`, lanes: 'f32', cases: 400 })),
      ...['comisd', 'ucomisd'].map((m): Template => ({ asm: `${m} xmm1, xmm2`, lanes: 'f64', cases: 400 })),
    ],
  },
  {
    name: 'sse-convert',
    description: 'CVT* between integers, singles and doubles, truncating and rounding',
    templates: [
      { asm: 'cvtsi2ss xmm1, eax', lanes: 'f32', gpr: 'int', cases: 300 },
      { asm: 'cvtsi2sd xmm1, eax', lanes: 'f64', gpr: 'int', cases: 200 },
      ...['cvtss2si', 'cvttss2si'].map((m): Template => ({ asm: `${m} eax, xmm2`, lanes: 'f32', cases: 500 })),
      ...['cvtsd2si', 'cvttsd2si'].map((m): Template => ({ asm: `${m} eax, xmm2`, lanes: 'f64', cases: 500 })),
      ...['cvtdq2ps', 'cvtdq2pd'].map((m): Template => ({ asm: `${m} xmm1, xmm2`, lanes: 'int', cases: 300 })),
      ...['cvtps2dq', 'cvttps2dq', 'cvtps2pd'].map((m): Template => ({ asm: `${m} xmm1, xmm2`, lanes: 'f32', cases: 400 })),
      ...['cvtpd2dq', 'cvttpd2dq', 'cvtpd2ps'].map((m): Template => ({ asm: `${m} xmm1, xmm2`, lanes: 'f64', cases: 400 })),
      { asm: 'cvtss2sd xmm1, xmm2', lanes: 'f32', cases: 400 },
      { asm: 'cvtsd2ss xmm1, xmm2', lanes: 'f64', cases: 600 },
    ],
  },
  {
    name: 'sse-int',
    description: 'SSE2 packed integer arithmetic, compares, logic, shifts, packs and unpacks',
    templates: [
      ...ints([
        'paddb', 'paddw', 'paddd', 'paddq', 'psubb', 'psubw', 'psubd', 'psubq', 'paddsb', 'paddsw', 'paddusb', 'paddusw',
        'psubsb', 'psubsw', 'psubusb', 'psubusw', 'pcmpeqb', 'pcmpeqw', 'pcmpeqd', 'pcmpgtb', 'pcmpgtw', 'pcmpgtd',
        'pand', 'pandn', 'por', 'pxor', 'andps', 'andnpd', 'orps', 'xorpd', 'pminub', 'pmaxub', 'pminsw', 'pmaxsw',
        'pavgb', 'pavgw', 'pmullw', 'pmulhw', 'pmulhuw', 'pmuludq', 'pmaddwd', 'psadbw',
        'punpcklbw', 'punpcklwd', 'punpckldq', 'punpcklqdq', 'punpckhbw', 'punpckhwd', 'punpckhdq', 'punpckhqdq',
        'unpcklps', 'unpckhps', 'unpcklpd', 'unpckhpd', 'packsswb', 'packuswb', 'packssdw',
        'psllw', 'pslld', 'psllq', 'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad', 'movss', 'movsd', 'movhlps', 'movlhps', 'movq',
      ]),
      ...[0, 1, 7, 15, 16, 31, 32, 63, 64, 200].flatMap((n) =>
        ['psllw', 'pslld', 'psllq', 'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad'].map((m): Template => ({ asm: `${m} xmm1, ${n}`, lanes: 'int', cases: 4 })),
      ),
      ...[0, 1, 5, 15, 16, 100].flatMap((n) => ['pslldq', 'psrldq'].map((m): Template => ({ asm: `${m} xmm1, ${n}`, lanes: 'int', cases: 4 }))),
      ...[0x1b, 0xe4, 0x00, 0x93, 0x4e].flatMap((n) =>
        ['pshufd', 'pshufhw', 'pshuflw', 'shufps', 'shufpd'].map((m): Template => ({ asm: `${m} xmm1, xmm2, ${n}`, lanes: 'int', cases: 6 })),
      ),
      ...['pmovmskb eax, xmm2', 'movmskps eax, xmm2', 'movmskpd eax, xmm2', 'movd eax, xmm2', 'movd xmm1, eax'].map(
        (asm): Template => ({ asm, lanes: 'int', gpr: 'int', cases: 20 }),
      ),
      ...[0, 3, 7].flatMap((n) => [`pextrw eax, xmm2, ${n}`, `pinsrw xmm1, eax, ${n}`].map((asm): Template => ({ asm, lanes: 'int', gpr: 'int', cases: 10 }))),
    ],
  },
  {
    name: 'sse3-ssse3',
    description: 'SSE3 horizontal and ADDSUB arithmetic, duplicating moves; SSSE3 integer operations',
    templates: [
      ...['haddps', 'hsubps', 'addsubps'].map((m): Template => ({ asm: `${m} xmm1, xmm2`, lanes: 'f32', cases: 300 })),
      ...['haddpd', 'hsubpd', 'addsubpd'].map((m): Template => ({ asm: `${m} xmm1, xmm2`, lanes: 'f64', cases: 300 })),
      ...ints(['movsldup', 'movshdup', 'movddup'], 10),
      ...ints([
        'pshufb', 'phaddw', 'phaddd', 'phaddsw', 'pmaddubsw', 'phsubw', 'phsubd', 'phsubsw', 'psignb', 'psignw', 'psignd',
        'pmulhrsw', 'pabsb', 'pabsw', 'pabsd',
      ], 80),
      ...[0, 1, 7, 15, 16, 17, 31, 32].map((n): Template => ({ asm: `palignr xmm1, xmm2, ${n}`, lanes: 'int', cases: 6 })),
    ],
  },
  {
    name: 'sse41',
    description: 'SSE4.1: ROUND*, DPPS/DPPD, BLEND*, PMOVSX/ZX, PMIN/PMAX, PMULLD/PMULDQ, PTEST, inserts and extracts',
    templates: [
      ...[0, 1, 2, 3, 4, 8, 9, 0xa, 0xc].flatMap((n) =>
        ['roundps', 'roundss'].map((m): Template => ({ asm: `${m} xmm1, xmm2, ${n}`, lanes: 'f32', cases: 60 })).concat(
          ['roundpd', 'roundsd'].map((m): Template => ({ asm: `${m} xmm1, xmm2, ${n}`, lanes: 'f64', cases: 60 })),
        ),
      ),
      ...[0xff, 0x31, 0xf1, 0x7f].map((n): Template => ({ asm: `dpps xmm1, xmm2, ${n}`, lanes: 'f32', cases: 100 })),
      ...[0x33, 0x31, 0x13].map((n): Template => ({ asm: `dppd xmm1, xmm2, ${n}`, lanes: 'f64', cases: 100 })),
      ...ints([
        'pminsb', 'pminsd', 'pminuw', 'pminud', 'pmaxsb', 'pmaxsd', 'pmaxuw', 'pmaxud', 'pmulld', 'pmuldq', 'pcmpeqq',
        'packusdw', 'pcmpgtq', 'pblendvb', 'blendvps', 'blendvpd', 'phminposuw',
        'pmovsxbw', 'pmovsxbd', 'pmovsxbq', 'pmovsxwd', 'pmovsxwq', 'pmovsxdq',
        'pmovzxbw', 'pmovzxbd', 'pmovzxbq', 'pmovzxwd', 'pmovzxwq', 'pmovzxdq', 'ptest',
      ], 40),
      ...[0x05, 0x0a, 0x0f].map((n): Template => ({ asm: `blendps xmm1, xmm2, ${n}`, lanes: 'int', cases: 5 })),
      ...[0x01, 0x02].map((n): Template => ({ asm: `blendpd xmm1, xmm2, ${n}`, lanes: 'int', cases: 5 })),
      ...[0x5a, 0xf0].map((n): Template => ({ asm: `pblendw xmm1, xmm2, ${n}`, lanes: 'int', cases: 5 })),
      ...[0, 3, 4, 7, 0x12, 0x25].map((n): Template => ({ asm: `mpsadbw xmm1, xmm2, ${n}`, lanes: 'int', cases: 20 })),
      ...[0x00, 0x1c, 0x7f, 0xc5, 0x30].map((n): Template => ({ asm: `insertps xmm1, xmm2, ${n}`, lanes: 'int', cases: 5 })),
      ...[0, 5, 15].map((n): Template => ({ asm: `pextrb eax, xmm2, ${n}`, lanes: 'int', gpr: 'int', cases: 5 })),
      ...[0, 3].flatMap((n) => [`pextrd eax, xmm2, ${n}`, `extractps eax, xmm2, ${n}`, `pinsrd xmm1, eax, ${n}`].map((asm): Template => ({ asm, lanes: 'int', gpr: 'int', cases: 5 }))),
      ...[0, 9, 15].map((n): Template => ({ asm: `pinsrb xmm1, eax, ${n}`, lanes: 'int', gpr: 'int', cases: 5 })),
    ],
  },
  {
    name: 'sse42',
    description: 'SSE4.2: PCMPESTRI/M, PCMPISTRI/M in every imm8 mode, CRC32, PCMPGTQ',
    templates: [
      ...[0x00, 0x01, 0x04, 0x05, 0x08, 0x09, 0x0c, 0x0d, 0x02, 0x03, 0x0a, 0x0b, 0x18, 0x1a, 0x38, 0x3a, 0x40, 0x44, 0x48, 0x4c, 0x58, 0x62, 0x70, 0x7d].flatMap((n) => [
        { asm: `pcmpistri xmm1, xmm2, ${n}`, lanes: 'str' as const, cases: 25 },
        { asm: `pcmpistrm xmm1, xmm2, ${n}`, lanes: 'str' as const, cases: 25 },
        { asm: `pcmpestri xmm1, xmm2, ${n}`, lanes: 'str' as const, gpr: 'len' as const, cases: 25 },
        { asm: `pcmpestrm xmm1, xmm2, ${n}`, lanes: 'str' as const, gpr: 'len' as const, cases: 25 },
      ]),
      ...['crc32 eax, cl', 'crc32 eax, cx', 'crc32 eax, ecx'].map((asm): Template => ({ asm, lanes: 'int', gpr: 'int', cases: 100 })),
    ],
  },
  {
    name: 'sse64',
    bits: 64,
    description: '64-bit mode: REX.W conversions and moves (RAX), PEXTRQ/PINSRQ, CRC32 r64, XMM8-XMM10 operands',
    templates: [
      { asm: 'cvtsi2sd xmm9, rax', lanes: 'f64', gpr: 'int64', cases: 400 },
      { asm: 'cvtsi2ss xmm9, rax', lanes: 'f32', gpr: 'int64', cases: 400 },
      ...['cvttsd2si', 'cvtsd2si'].map((m): Template => ({ asm: `${m} rax, xmm10`, lanes: 'f64', gpr: 'int64', cases: 400 })),
      ...['cvttss2si', 'cvtss2si'].map((m): Template => ({ asm: `${m} rax, xmm10`, lanes: 'f32', gpr: 'int64', cases: 400 })),
      ...['movq rax, xmm10', 'movq xmm9, rax', 'pextrq rax, xmm10, 1', 'pinsrq xmm9, rax, 1', 'pextrq rax, xmm10, 0', 'crc32 rax, rcx', 'crc32 rax, cl', 'movd xmm9, eax', 'movd eax, xmm10'].map(
        (asm): Template => ({ asm, lanes: 'int', gpr: 'int64', cases: 30 }),
      ),
      ...[0x0c, 0x00, 0x44].map((n): Template => ({ asm: `pcmpestri xmm9, xmm10, ${n}`, lanes: 'str', gpr: 'len', cases: 40 })),
      ...['addpd', 'mulsd', 'divsd', 'sqrtsd', 'minpd', 'ucomisd', 'cmpltpd'].map((m): Template => ({ asm: `${m} xmm9, xmm10`, lanes: 'f64', cases: 100 })),
      ...['addss', 'mulps', 'maxss', 'comiss', 'cvtss2sd', 'cvtps2pd'].map((m): Template => ({ asm: `${m} xmm9, xmm10`, lanes: 'f32', cases: 100 })),
      ...['paddb', 'pshufb', 'pcmpeqb', 'pmovmskb eax,', 'punpcklqdq', 'pxor', 'movdqa', 'movhlps', 'pminsd', 'ptest'].map((m): Template => ({
        asm: m.endsWith(',') ? `${m} xmm10` : `${m} xmm9, xmm10`,
        lanes: 'int',
        cases: 20,
      })),
    ],
  },
  {
    name: 'mmx',
    description: 'MMX and SSE-on-MMX integer operations, conversions to and from MMX registers, several instructions per block',
    templates: ([
      ...[
        'paddb', 'paddw', 'paddd', 'paddq', 'psubb', 'psubw', 'psubd', 'psubq', 'paddsb', 'paddsw', 'paddusb', 'paddusw',
        'psubsb', 'psubsw', 'psubusb', 'psubusw', 'pcmpeqb', 'pcmpeqw', 'pcmpeqd', 'pcmpgtb', 'pcmpgtw', 'pcmpgtd',
        'pand', 'pandn', 'por', 'pxor', 'pminub', 'pmaxub', 'pminsw', 'pmaxsw', 'pavgb', 'pavgw', 'pmullw', 'pmulhw',
        'pmulhuw', 'pmuludq', 'pmaddwd', 'psadbw', 'punpcklbw', 'punpcklwd', 'punpckldq', 'punpckhbw', 'punpckhwd',
        'punpckhdq', 'packsswb', 'packuswb', 'packssdw', 'psllw', 'pslld', 'psllq', 'psrlw', 'psrld', 'psrlq', 'psraw',
        'psrad', 'pshufb', 'phaddw', 'phaddd', 'phaddsw', 'pmaddubsw', 'phsubw', 'phsubd', 'phsubsw', 'psignb', 'psignw',
        'psignd', 'pmulhrsw', 'pabsb', 'pabsw', 'pabsd',
      ].map((m) => mmx(`${m} mm1, mm2`)),
      ...[0, 3, 9, 17, 64].flatMap((n) => ['psllw', 'psrlq', 'psrad'].map((m) => mmx(`${m} mm1, ${n}`, 4))),
      ...[0x1b, 0xe4].map((n) => mmx(`pshufw mm1, mm2, ${n}`, 5)),
      ...[0, 3, 9, 15, 16].map((n) => mmx(`palignr mm1, mm2, ${n}`, 5)),
      mmx('pextrw eax, mm2, 2', 10),
      mmx('pinsrw mm1, eax, 1', 10),
      mmx('pmovmskb eax, mm2', 10),
      mmx('movd eax, mm2; movd mm1, ecx', 10),
      mmx('cvtpi2ps xmm1, mm2', 40),
      mmx('cvtpi2pd xmm1, mm2', 20),
      { asm: 'cvtps2pi mm1, xmm2; cvttps2pi mm2, xmm2; movq2dq xmm1, mm1; movq2dq xmm2, mm2; emms', lanes: 'f32', cases: 200 },
      { asm: 'cvtpd2pi mm1, xmm2; cvttpd2pi mm2, xmm2; movq2dq xmm1, mm1; movq2dq xmm2, mm2; emms', lanes: 'f64', cases: 200 },
    ] as Template[]).map((t): Template => ({ ...t, gpr: t.gpr ?? 'int' })),
  },
  {
    name: 'sse-mem',
    description: 'Memory source forms (aligned and unaligned loads, scalar loads) and stores, several instructions per block',
    templates: [
      ...['addps', 'mulpd', 'maxps', 'sqrtpd', 'cmpltps', 'andnps', 'xorps', 'paddq', 'pcmpeqb', 'pminub', 'pshufb', 'punpcklbw'].map((m) =>
        mem(`${m} xmm1, [esp]`, m.endsWith('pd') ? 'f64' : m.endsWith('ps') ? 'f32' : 'int'),
      ),
      ...['addss xmm1, [esp]', 'sqrtss xmm1, [esp]', 'comiss xmm1, [esp]', 'cvtss2sd xmm1, [esp]', 'movss xmm1, [esp]', 'cvttss2si eax, [esp]'].map((a) => mem(a, 'f32')),
      ...['subsd xmm1, [esp]', 'divsd xmm1, [esp]', 'ucomisd xmm1, [esp]', 'cvtsd2ss xmm1, [esp]', 'movsd xmm1, [esp]', 'cvtsd2si eax, [esp]', 'movddup xmm1, [esp]'].map((a) => mem(a, 'f64')),
      ...[
        'movlps xmm1, [esp]', 'movhps xmm1, [esp]', 'movlpd xmm1, [esp+8]', 'movhpd xmm1, [esp+8]', 'movq xmm1, [esp]', 'movd xmm1, [esp+4]',
        'movups xmm1, [esp+4]', 'movdqu xmm1, [esp+3]', 'lddqu xmm1, [esp+1]', 'movaps xmm1, [esp]', 'movdqa xmm1, [esp+16]',
        'movlps [esp], xmm1', 'movhps [esp+4], xmm1', 'movss [esp+8], xmm1', 'movsd [esp+4], xmm1', 'movq [esp+8], xmm1',
        'movd [esp+12], xmm1', 'movups [esp+1], xmm1', 'movntdq [esp], xmm1', 'movnti [esp+4], eax', 'pextrb [esp+5], xmm1, 3',
        'pextrw [esp+6], xmm1, 5', 'pextrd [esp+4], xmm1, 2', 'extractps [esp], xmm1, 1', 'pinsrb xmm1, [esp+7], 2',
        'pinsrw xmm1, [esp+2], 6', 'insertps xmm1, [esp+4], 0x20', 'pmovzxbd xmm1, [esp+3]', 'pmovsxwq xmm1, [esp+2]',
        'pcmpistri xmm1, [esp+1], 0x0c', 'crc32 eax, byte [esp+3]', 'crc32 eax, dword [esp+4]', 'stmxcsr [esp]',
        'cvtsi2sd xmm1, dword [esp]', 'cvtdq2pd xmm1, [esp]', 'cvtps2pd xmm1, [esp]',
      ].map((a) => mem(a, 'int', 20, 'int')),
    ],
  },
  {
    name: 'sse-chains',
    description:
      'Simple values (half in the default MXCSR) through the float fast paths of HADD/HSUB, ADDSUB, DPPS/DPPD, ROUND*, CVTSD2SS, and chains of SSE instructions in one block (XMM registers held in Wasm locals)',
    templates: [
      ...['haddps', 'hsubps', 'addsubps'].map((m): Template => ({ asm: `${m} xmm1, xmm2`, lanes: 'f32d', cases: 150 })),
      ...['haddpd', 'hsubpd', 'addsubpd'].map((m): Template => ({ asm: `${m} xmm1, xmm2`, lanes: 'f64d', cases: 150 })),
      ...[0xff, 0x31, 0xf1, 0x7f, 0x5a].map((n): Template => ({ asm: `dpps xmm1, xmm2, ${n}`, lanes: 'f32d', cases: 80 })),
      ...[0x33, 0x31, 0x13, 0x22].map((n): Template => ({ asm: `dppd xmm1, xmm2, ${n}`, lanes: 'f64d', cases: 80 })),
      ...[0, 1, 2, 3, 4, 8, 0xb, 0xc].flatMap((n) => [
        { asm: `roundps xmm1, xmm2, ${n}`, lanes: 'f32d' as const, cases: 30 },
        { asm: `roundss xmm1, xmm2, ${n}`, lanes: 'f32d' as const, cases: 30 },
        { asm: `roundpd xmm1, xmm2, ${n}`, lanes: 'f64d' as const, cases: 30 },
        { asm: `roundsd xmm1, xmm2, ${n}`, lanes: 'f64d' as const, cases: 30 },
      ]),
      { asm: 'cvtsd2ss xmm1, xmm2', lanes: 'f64d', cases: 100 },
      { asm: 'divsd xmm2, xmm1; cvtsd2ss xmm1, xmm2', lanes: 'f64d', cases: 100 },
      { asm: 'divpd xmm2, xmm1; cvtpd2ps xmm1, xmm2', lanes: 'f64d', cases: 100 },
      { asm: 'addps xmm1, xmm2; mulps xmm2, xmm1; subps xmm1, xmm2; movaps xmm0, xmm1; haddps xmm0, xmm2', lanes: 'f32d', cases: 150 },
      { asm: 'mulpd xmm1, xmm2; addpd xmm0, xmm1; divpd xmm2, xmm0; sqrtpd xmm1, xmm1; addsubpd xmm1, xmm2', lanes: 'f64d', cases: 150 },
      { asm: 'addss xmm0, xmm1; roundss xmm1, xmm0, 4; dpps xmm2, xmm1, 0xf1; cvtss2sd xmm0, xmm2', lanes: 'f32d', cases: 100 },
      ...[
        'movaps xmm0, xmm1; paddd xmm1, xmm2; pshufd xmm2, xmm1, 0x1b; pxor xmm0, xmm2; punpckhqdq xmm1, xmm0',
        'pmaddwd xmm1, xmm2; movdqa xmm0, xmm1; psrldq xmm0, 8; paddd xmm1, xmm0; pshufd xmm2, xmm1, 1; paddd xmm1, xmm2; movd eax, xmm1',
        'pcmpeqb xmm0, xmm0; pxor xmm1, xmm0; pminub xmm2, xmm1; pmovmskb eax, xmm2; movd xmm0, eax; pshufb xmm1, xmm0',
        'movhlps xmm0, xmm2; movlhps xmm2, xmm1; shufps xmm1, xmm0, 0x4e; unpcklps xmm0, xmm1; movss xmm2, xmm0',
      ].map((asm): Template => ({ asm, lanes: 'int', gpr: 'int', cases: 60 })),
    ],
  },
  CRYPTO,
  CRYPTO64,
  RCP,
];
