// AES-NI and PCLMULQDQ beyond the host-CPU fixtures (tests/fixtures/sse/crypto*.jsonl): the
// FIPS-197 known answers run as guest code (AES-128 key expansion with AESKEYGENASSIST, the
// cipher with AESENC/AESENCLAST, the Equivalent Inverse Cipher with AESIMC and AESDEC), the
// GCM specification's GHASH through PCLMULQDQ on XMM8-XMM15, the reference model in
// core/simd against FIPS-197 and the recorded host results, and the system rules (CPUID
// bits, #UD, #NM, 16-byte alignment).
import { describe, expect, it } from 'vitest';
import { Cr0, Cr4, Vector } from '../../core/cpu/registers.ts';
import { Cpuid1Ecx, supportedCpuid, withVendor } from '../../core/cpu/cpuid.ts';
import type { KvmCpuidEntry2 } from '../../core/kvm/types.ts';
import { INV_SBOX, SBOX, aesdec, aesdeclast, aesenc, aesenclast, aesimc, aeskeygenassist } from '../../core/simd/aes.ts';
import { clmul64, pclmulSelect } from '../../core/simd/clmul.ts';
import type { TestVm } from '../lib/machine.ts';
import { loadSseFixtures } from '../harness-sse/fixture.ts';
import { longModeVm } from './long-mode-guest.ts';
import { runBlocks, sseVm } from './system-lib.ts';

const hex = (s: string): number[] => [...Buffer.from(s.replace(/\s+/g, ''), 'hex')];
const bytes = (s: string): Uint8Array => Uint8Array.from(hex(s));
const toHex = (b: Uint8Array | number[]): string => Buffer.from(b).toString('hex');

// ---- Legacy-SSE encodings (SDM Vol. 2 opcode tables): 66 [REX] 0F map opcode ModRM [SIB disp32] [ib] ----
/** An XMM register, or an absolute disp32 address in 32-bit (`abs`) or 64-bit mode (`abs64`). */
type Rm = number | { abs: number } | { abs64: number };
const X = { p66: 0x66, pF3: 0xf3 } as const;

/** One instruction: `prefix` then REX (for XMM8-15) then `opcode` (starting 0F), ModRM for reg and rm, an optional imm8. */
function op(prefix: number, opcode: number[], reg: number, rm: Rm, imm?: number): number[] {
  const out = [prefix];
  const rex = ((reg & 8) >> 1) | (typeof rm === 'number' ? (rm & 8) >> 3 : 0);
  if (rex) out.push(0x40 | rex);
  out.push(...opcode);
  if (typeof rm === 'number') out.push(0xc0 | ((reg & 7) << 3) | (rm & 7));
  else {
    // disp32 alone: ModRM rm=101 in 32-bit mode; in 64-bit mode that is RIP-relative, so rm=100 with SIB 25H (SDM Vol. 2A 2.2.1.6).
    if ('abs' in rm) out.push(((reg & 7) << 3) | 5, ...le32(rm.abs));
    else out.push(((reg & 7) << 3) | 4, 0x25, ...le32(rm.abs64));
  }
  if (imm !== undefined) out.push(imm);
  return out;
}
// The AES encoders carry an I suffix (instruction): the plain names are the core/simd reference functions.
const aesencI = (r: number, m: Rm): number[] => op(X.p66, [0x0f, 0x38, 0xdc], r, m);
const aesenclastI = (r: number, m: Rm): number[] => op(X.p66, [0x0f, 0x38, 0xdd], r, m);
const aesdecI = (r: number, m: Rm): number[] => op(X.p66, [0x0f, 0x38, 0xde], r, m);
const aesdeclastI = (r: number, m: Rm): number[] => op(X.p66, [0x0f, 0x38, 0xdf], r, m);
const aesimcI = (r: number, m: Rm): number[] => op(X.p66, [0x0f, 0x38, 0xdb], r, m);
const aeskeygenassistI = (r: number, m: Rm, rcon: number): number[] => op(X.p66, [0x0f, 0x3a, 0xdf], r, m, rcon);
const pclmulqdq = (r: number, m: Rm, imm: number): number[] => op(X.p66, [0x0f, 0x3a, 0x44], r, m, imm);
const movdqu = (r: number, m: Rm): number[] => op(X.pF3, [0x0f, 0x6f], r, m);
const movdqa = (r: number, m: Rm): number[] => op(X.p66, [0x0f, 0x6f], r, m);
const movdqaStoreEdi = (r: number): number[] => [0x66, 0x0f, 0x7f, (r << 3) | 7]; // movdqa [edi], xmm
const pxor = (r: number, m: Rm): number[] => op(X.p66, [0x0f, 0xef], r, m);
const por = (r: number, m: number): number[] => op(X.p66, [0x0f, 0xeb], r, m);
const pshufb = (r: number, m: number): number[] => op(X.p66, [0x0f, 0x38, 0x00], r, m);
const pshufd = (r: number, m: number, imm: number): number[] => op(X.p66, [0x0f, 0x70], r, m, imm);
/** Groups 13 and 14 (0F 72, 0F 73) with ModRM.reg selecting the shift (SDM Vol. 2D Table A-6). */
const shiftImm = (opc: number, sel: number) => (r: number, n: number): number[] => op(X.p66, [0x0f, opc], sel, r, n);
const psrld = shiftImm(0x72, 2);
const pslld = shiftImm(0x72, 6);
const psrldq = shiftImm(0x73, 3);
const pslldq = shiftImm(0x73, 7);
const HLT = [0xf4];

// ---- AES-128 in guest code (Intel AES-NI white paper, "AES-128 Key Expansion", and FIPS-197) ----
const CODE = 0x1000;
const DATA = 0x3000;
const KEY = DATA;
const PLAINTEXT = DATA + 0x10;
/** The eleven round keys, 16-byte aligned, then nothing else. */
const SCHEDULE = DATA + 0x100;
/** Rcon[1..10] (FIPS-197 5.2). */
const RCON = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

/**
 * key expansion: XMM1 = w[4i..4i+3]; XMM2 = AESKEYGENASSIST(XMM1, Rcon) broadcast from dword 3
 * (RotWord(SubWord(w[4i+3])) ^ Rcon); XMM1 ^= XMM1 << 32 ^ << 64 ^ << 96 ^ XMM2; stored at [EDI += 16].
 * encrypt: XMM0 = plaintext ^ k0, AESENC with k1..k9 from memory, AESENCLAST k10; XMM4 = ciphertext.
 * decrypt (FIPS-197 5.3.5): XMM0 ^= k10, AESDEC with AESIMC(k9..k1), AESDECLAST k0.
 */
function aes128Program(): number[] {
  const code: number[] = [...movdqu(1, { abs: KEY }), 0xbf, ...le32(SCHEDULE), ...movdqaStoreEdi(1)];
  for (const rcon of RCON) {
    code.push(...aeskeygenassistI(2, 1, rcon), ...pshufd(2, 2, 0xff), ...movdqa(3, 1));
    for (let k = 0; k < 3; k++) code.push(...pslldq(3, 4), ...pxor(1, 3));
    code.push(...pxor(1, 2), 0x83, 0xc7, 0x10, ...movdqaStoreEdi(1)); // add edi, 16
  }
  code.push(...movdqu(0, { abs: PLAINTEXT }), ...pxor(0, { abs: SCHEDULE }));
  for (let r = 1; r <= 9; r++) code.push(...aesencI(0, { abs: SCHEDULE + 16 * r }));
  code.push(...aesenclastI(0, { abs: SCHEDULE + 160 }), ...movdqa(4, 0), ...pxor(0, { abs: SCHEDULE + 160 }));
  for (let r = 9; r >= 1; r--) code.push(...aesimcI(5, { abs: SCHEDULE + 16 * r }), ...aesdecI(0, 5));
  code.push(...aesdeclastI(0, { abs: SCHEDULE }), ...HLT);
  return code;
}

function le32(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];
}

function xmmHex(vm: TestVm, n: number): string {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(vm.vcpu.cpu.state.get64('xmm', 2 * n), 0);
  b.writeBigUInt64LE(vm.vcpu.cpu.state.get64('xmm', 2 * n + 1), 8);
  return b.toString('hex');
}

function runAes128(key: string, plaintext: string): TestVm {
  const vm = sseVm(aes128Program());
  vm.load(KEY, hex(key));
  vm.load(PLAINTEXT, hex(plaintext));
  expect(runBlocks(vm, CODE)).toEqual({});
  return vm;
}

describe('AES-128 in guest code: FIPS-197 Appendices A.1, B and C.1', () => {
  it('expands the key 2b7e1516... with AESKEYGENASSIST into the words of Appendix A.1', () => {
    const vm = runAes128('2b7e151628aed2a6abf7158809cf4f3c', '3243f6a8885a308d313198a2e0370734');
    const words = (i: number): string => toHex(vm.ram.subarray(SCHEDULE + 4 * i, SCHEDULE + 4 * i + 16));
    expect(words(4)).toBe('a0fafe1788542cb123a339392a6c7605');
    expect(words(20)).toBe('d4d1c6f87c839d87caf2b8bc11f915bc');
    expect(words(40)).toBe('d014f9a8c9ee2589e13f0cc8b6630ca6');
  });

  it('enciphers 3243f6a8... to 3925841d... (Appendix B) and deciphers it back', () => {
    const vm = runAes128('2b7e151628aed2a6abf7158809cf4f3c', '3243f6a8885a308d313198a2e0370734');
    expect(xmmHex(vm, 4)).toBe('3925841d02dc09fbdc118597196a0b32');
    expect(xmmHex(vm, 0)).toBe('3243f6a8885a308d313198a2e0370734');
  });

  it('enciphers 00112233... under 00010203... to 69c4e0d8... (Appendix C.1) and the Equivalent Inverse Cipher restores it', () => {
    const vm = runAes128('000102030405060708090a0b0c0d0e0f', '00112233445566778899aabbccddeeff');
    expect(xmmHex(vm, 4)).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
    expect(xmmHex(vm, 0)).toBe('00112233445566778899aabbccddeeff');
  });
});

// ---- GHASH with PCLMULQDQ in 64-bit mode (Intel CLMUL white paper, Figure 5 "gfmul") ----
const DATA64 = 0x5000;
const CODE64 = 0x10000;

/**
 * XMM0 = XMM0 * XMM1 in GF(2^128) for byte-reflected GCM operands: the 256-bit carry-less
 * product from four PCLMULQDQs, shifted left by one bit, reduced modulo x^128 + x^7 + x^2 + x + 1.
 * Temporaries XMM2-XMM9 (the white paper's tmp2-tmp9).
 */
function gfmul(): number[] {
  const c: number[] = [];
  const mul = (t: number, imm: number): void => {
    c.push(...movdqa(t, 0), ...pclmulqdq(t, 1, imm));
  };
  mul(3, 0x00);
  mul(4, 0x10);
  mul(5, 0x01);
  mul(6, 0x11);
  c.push(...pxor(4, 5), ...movdqa(5, 4), ...pslldq(5, 8), ...psrldq(4, 8), ...pxor(3, 5), ...pxor(6, 4));
  // <XMM6:XMM3> <<= 1
  c.push(...movdqa(7, 3), ...psrld(7, 31), ...movdqa(8, 6), ...psrld(8, 31), ...pslld(3, 1), ...pslld(6, 1));
  c.push(...movdqa(9, 7), ...psrldq(9, 12), ...pslldq(8, 4), ...pslldq(7, 4), ...por(3, 7), ...por(6, 8), ...por(6, 9));
  // Reduction, first phase.
  c.push(...movdqa(7, 3), ...pslld(7, 31), ...movdqa(8, 3), ...pslld(8, 30), ...movdqa(9, 3), ...pslld(9, 25));
  c.push(...pxor(7, 8), ...pxor(7, 9), ...movdqa(8, 7), ...psrldq(8, 4), ...pslldq(7, 12), ...pxor(3, 7));
  // Second phase.
  c.push(...movdqa(2, 3), ...psrld(2, 1), ...movdqa(4, 3), ...psrld(4, 2), ...movdqa(5, 3), ...psrld(5, 7));
  c.push(...pxor(2, 4), ...pxor(2, 5), ...pxor(2, 8), ...pxor(3, 2), ...pxor(6, 3), ...movdqa(0, 6));
  return c;
}

describe('GHASH with PCLMULQDQ: the GCM specification (McGrew and Viega), Test Case 2', () => {
  it('GHASH(H, {}, C) = f38cbb1ad69223dcc3457ae5b6b0f885 for H = 66e94bd4..., C = 0388dace...', () => {
    const H = DATA64;
    const C = DATA64 + 0x10;
    const LEN = DATA64 + 0x20;
    const BSWAP = DATA64 + 0x30;
    // XMM15 = the byte-reversal mask; XMM1 = H; XMM0 = (0 ^ C) * H, then (X1 ^ len(A) || len(C)) * H.
    const code = [
      ...movdqa(15, { abs64: BSWAP }), ...movdqa(1, { abs64: H }), ...pshufb(1, 15), ...pxor(0, 0),
      ...movdqa(10, { abs64: C }), ...pshufb(10, 15), ...pxor(0, 10), ...gfmul(),
      ...movdqa(10, { abs64: LEN }), ...pshufb(10, 15), ...pxor(0, 10), ...gfmul(),
      ...pshufb(0, 15), ...HLT,
    ];
    const vm = longModeVm(CODE64);
    vm.vcpu.cpu.state.setLo('cr4', Cr4.OSFXSR | Cr4.OSXMMEXCPT | Cr4.PAE);
    vm.vcpu.cpu.refreshMode();
    vm.load(CODE64, code);
    vm.load(H, hex('66e94bd4ef8a2c3b884cfa59ca342b2e'));
    vm.load(C, hex('0388dace60b6a392f328c2b971b2fe78'));
    vm.load(LEN, hex('0000000000000000 0000000000000080'));
    vm.load(BSWAP, hex('0f0e0d0c0b0a09080706050403020100'));
    expect(runBlocks(vm, CODE64)).toEqual({});
    expect(xmmHex(vm, 0)).toBe('f38cbb1ad69223dcc3457ae5b6b0f885');
  });
});

// ---- The reference model (core/simd) ----
describe('core/simd/aes.ts and clmul.ts', () => {
  it('computes the S-box and its inverse of FIPS-197 Figures 7 and 14', () => {
    expect([0x00, 0x01, 0x10, 0x53, 0x9a, 0xff].map((b) => SBOX[b])).toEqual([0x63, 0x7c, 0xca, 0xed, 0xb8, 0x16]);
    expect([0x00, 0x01, 0x10, 0x63, 0x9a, 0xff].map((b) => INV_SBOX[b])).toEqual([0x52, 0x09, 0x7c, 0x00, 0x37, 0x7d]);
  });

  it('takes round 1 of FIPS-197 Appendix B from its start to the start of round 2', () => {
    const start = bytes('193de3bea0f4e22b9ac68d2ae9f84808');
    const k1 = bytes('a0fafe1788542cb123a339392a6c7605');
    expect(toHex(aesenc(start, k1))).toBe('a49c7ff2689f352b6b5bea43026a5049');
  });

  it('reproduces every recorded single-instruction register case of the host CPU', () => {
    const ops: Record<string, (d: Uint8Array, s: Uint8Array, imm: number) => Uint8Array> = {
      aesenc: (d, s) => aesenc(d, s),
      aesenclast: (d, s) => aesenclast(d, s),
      aesdec: (d, s) => aesdec(d, s),
      aesdeclast: (d, s) => aesdeclast(d, s),
      aesimc: (_d, s) => aesimc(s),
      aeskeygenassist: (_d, s, imm) => aeskeygenassist(s, imm),
      pclmulqdq: (d, s, imm) => {
        const q = (b: Uint8Array, i: number): [number, number] => {
          const v = new DataView(b.buffer, b.byteOffset + 8 * i, 8);
          return [v.getUint32(0, true), v.getUint32(4, true)];
        };
        const { first, second } = pclmulSelect(imm);
        const r = clmul64(q(d, first), q(s, second));
        const out = new Uint8Array(16);
        r.forEach((w, i) => new DataView(out.buffer).setUint32(4 * i, w, true));
        return out;
      },
    };
    let checked = 0;
    for (const c of loadSseFixtures('crypto')) {
      const m = /^(\w+) xmm1, xmm2(?:, (\w+))?$/.exec(c.asm);
      if (!m) continue;
      const input = c.in.split(' ');
      const out = c.out.split(' ');
      const result = ops[m[1]!]!(bytes(input[6]!), bytes(input[7]!), Number(m[2] ?? 0));
      expect(toHex(result), `${c.asm} ${c.in}`).toBe(out[6]);
      checked++;
    }
    expect(checked).toBeGreaterThan(3000);
  });
});

// ---- System rules ----
describe('AES-NI and PCLMULQDQ system behaviour', () => {
  it('CPUID.01H:ECX enumerates PCLMULQDQ (bit 1) and AES (bit 25) for Intel and AMD (SDM Vol. 2A Table 3-10)', () => {
    for (const vendor of ['GenuineIntel', 'AuthenticAMD'] as const) {
      const ecx = withVendor(supportedCpuid(), vendor).find((e) => e.function === 1)!.ecx;
      expect(ecx & Cpuid1Ecx.PCLMULQDQ).toBe(1 << 1);
      expect(ecx & Cpuid1Ecx.AES).toBe(1 << 25);
    }
  });

  const AESENC_MEM = [...aesencI(0, { abs: DATA + 4 }), ...HLT];
  const PCLMUL_MEM = [...pclmulqdq(0, { abs: DATA + 8 }, 0x11), ...HLT];
  const AESENC_REG = [...aesencI(0, 1), ...HLT];

  it('a misaligned m128 operand is #GP(0); an aligned one runs (SDM Vol. 2A AESENC, exception type 4)', () => {
    expect(runBlocks(sseVm(AESENC_MEM), CODE).vector).toBe(Vector.GP);
    expect(runBlocks(sseVm(PCLMUL_MEM), CODE).vector).toBe(Vector.GP);
    expect(runBlocks(sseVm([...aesencI(0, { abs: DATA + 16 }), ...HLT]), CODE)).toEqual({});
  });

  it('is #UD when the guest CPUID clears AES or PCLMULQDQ (SDM Vol. 2A Table 2-21, exception type 4)', () => {
    const without = (bit: number): KvmCpuidEntry2[] => supportedCpuid().map((e) => (e.function === 1 ? { ...e, ecx: (e.ecx & ~bit) >>> 0 } : e));
    const PCLMUL_REG = [...pclmulqdq(0, 1, 0), ...HLT];
    const runWith = (code: number[], cpuid: KvmCpuidEntry2[]): number | undefined => {
      const vm = sseVm(code);
      vm.vcpu.setCpuid2(cpuid);
      return runBlocks(vm, CODE).vector;
    };
    expect(runWith(AESENC_REG, without(Cpuid1Ecx.AES))).toBe(Vector.UD);
    expect(runWith(PCLMUL_REG, without(Cpuid1Ecx.AES))).toBeUndefined();
    expect(runWith(PCLMUL_REG, without(Cpuid1Ecx.PCLMULQDQ))).toBe(Vector.UD);
    expect(runWith(AESENC_REG, without(Cpuid1Ecx.PCLMULQDQ))).toBeUndefined();
  });

  it('is #UD with CR4.OSFXSR = 0 or CR0.EM = 1, #NM with CR0.TS = 1 (SDM Vol. 3A 13.1 Table 13-1)', () => {
    expect(runBlocks(sseVm(AESENC_REG, 0), CODE).vector).toBe(Vector.UD);
    expect(runBlocks(sseVm(AESENC_REG, Cr4.OSFXSR, Cr0.EM), CODE).vector).toBe(Vector.UD);
    expect(runBlocks(sseVm(AESENC_REG, Cr4.OSFXSR, Cr0.TS), CODE).vector).toBe(Vector.NM);
    expect(runBlocks(sseVm([...pclmulqdq(0, 1, 0), ...HLT], Cr4.OSFXSR, Cr0.TS), CODE).vector).toBe(Vector.NM);
  });
});
