// AES round primitives as the AES-NI instructions apply them (SDM Vol. 2A AESENC, AESENCLAST,
// AESDEC, AESDECLAST, AESIMC, AESKEYGENASSIST; Intel's "Advanced Encryption Standard (AES)
// New Instructions Set" white paper, section "The AES Instructions"), on the 16-byte state in
// XMM byte order: byte 4c + r is row r of column c (FIPS-197 3.4, the input array order).
//
// The JIT computes the same steps on Wasm SIMD (jit/emit/sse-crypto.ts) from the tables and
// permutations exported here; the functions below are the byte-wise reference model.

/** The AES field GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS-197 4.2): the low byte of the polynomial. */
const AES_REDUCTION = 0x1b;
/** The affine transformation's constant c = {63} (FIPS-197 5.1.1, equation 5.1). */
const SBOX_AFFINE_CONSTANT = 0x63;

/** Multiplication by x ({02}) in GF(2^8) (FIPS-197 4.2.1, xtime()). */
export function xtime(b: number): number {
  return ((b << 1) ^ (b & 0x80 ? AES_REDUCTION : 0)) & 0xff;
}

/** Product of two field elements (FIPS-197 4.2). */
export function gfMul(a: number, b: number): number {
  let p = 0;
  for (let x = a, y = b; y !== 0; y >>>= 1, x = xtime(x)) if (y & 1) p ^= x;
  return p;
}

function rotl8(b: number, n: number): number {
  return ((b << n) | (b >>> (8 - n))) & 0xff;
}

/**
 * The S-box of FIPS-197 5.1.1 computed as it is defined: the multiplicative inverse in
 * GF(2^8) ({00} maps to itself), then the affine map b'_i = b_i ^ b_(i+4) ^ b_(i+5) ^
 * b_(i+6) ^ b_(i+7) ^ c_i, i.e. b ^ rotl(b,1) ^ rotl(b,2) ^ rotl(b,3) ^ rotl(b,4) ^ {63}.
 * The inverse S-box (5.3.2) is its inverse permutation. Tests compare entries with
 * FIPS-197 Figures 7 and 14.
 */
function buildSboxes(): { sbox: Uint8Array; invSbox: Uint8Array } {
  // Powers of the generator {03} enumerate the 255 non-zero elements: inv(g^k) = g^(255-k).
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let k = 0, x = 1; k < 255; k++, x = gfMul(x, 3)) {
    exp[k] = x;
    log[x] = k;
  }
  const sbox = new Uint8Array(256);
  const invSbox = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    const inv = b === 0 ? 0 : exp[(255 - log[b]!) % 255]!;
    const s = inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ SBOX_AFFINE_CONSTANT;
    sbox[b] = s;
    invSbox[s] = b;
  }
  return { sbox, invSbox };
}

export const { sbox: SBOX, invSbox: INV_SBOX } = buildSboxes();

/**
 * ShiftRows (FIPS-197 5.1.2): row r moves left by r columns, s'[r][c] = s[r][(c + r) mod 4].
 * Entry i is the input byte that lands in output byte i (an i8x16.shuffle lane list).
 */
export const SHIFT_ROWS: readonly number[] = Array.from({ length: 16 }, (_, i) => 4 * (((i >> 2) + (i & 3)) & 3) + (i & 3));
/** InvShiftRows (FIPS-197 5.3.1): s'[r][c] = s[r][(c - r) mod 4]. */
export const INV_SHIFT_ROWS: readonly number[] = Array.from({ length: 16 }, (_, i) => 4 * (((i >> 2) - (i & 3)) & 3) + (i & 3));

export type AesState = Uint8Array;

function permute(s: AesState, lanes: readonly number[]): AesState {
  return Uint8Array.from(lanes, (l) => s[l]!);
}

function substitute(s: AesState, table: Uint8Array): AesState {
  return s.map((b) => table[b]!);
}

/** MixColumns (FIPS-197 5.1.3): each column times a(x) = {03}x^3 + {01}x^2 + {01}x + {02}. */
export function mixColumns(s: AesState): AesState {
  const out = new Uint8Array(16);
  for (let c = 0; c < 16; c += 4) {
    for (let r = 0; r < 4; r++) {
      const at = (k: number): number => s[c + ((r + k) & 3)]!;
      out[c + r] = gfMul(at(0), 2) ^ gfMul(at(1), 3) ^ at(2) ^ at(3);
    }
  }
  return out;
}

/** InvMixColumns (FIPS-197 5.3.3): each column times a^-1(x) = {0b}x^3 + {0d}x^2 + {09}x + {0e}. */
export function invMixColumns(s: AesState): AesState {
  const out = new Uint8Array(16);
  for (let c = 0; c < 16; c += 4) {
    for (let r = 0; r < 4; r++) {
      const at = (k: number): number => s[c + ((r + k) & 3)]!;
      out[c + r] = gfMul(at(0), 0x0e) ^ gfMul(at(1), 0x0b) ^ gfMul(at(2), 0x0d) ^ gfMul(at(3), 0x09);
    }
  }
  return out;
}

function xor(a: AesState, b: AesState): AesState {
  return a.map((x, i) => x ^ b[i]!);
}

/** AESENC: ShiftRows, SubBytes, MixColumns, then AddRoundKey with the source (SDM Vol. 2A AESENC). */
export function aesenc(state: AesState, roundKey: AesState): AesState {
  return xor(mixColumns(substitute(permute(state, SHIFT_ROWS), SBOX)), roundKey);
}

/** AESENCLAST: the last round, without MixColumns. */
export function aesenclast(state: AesState, roundKey: AesState): AesState {
  return xor(substitute(permute(state, SHIFT_ROWS), SBOX), roundKey);
}

/** AESDEC: InvShiftRows, InvSubBytes, InvMixColumns, AddRoundKey (the Equivalent Inverse Cipher round, FIPS-197 5.3.5). */
export function aesdec(state: AesState, roundKey: AesState): AesState {
  return xor(invMixColumns(substitute(permute(state, INV_SHIFT_ROWS), INV_SBOX)), roundKey);
}

/** AESDECLAST: the last decryption round, without InvMixColumns. */
export function aesdeclast(state: AesState, roundKey: AesState): AesState {
  return xor(substitute(permute(state, INV_SHIFT_ROWS), INV_SBOX), roundKey);
}

/** AESIMC: InvMixColumns of a round key, for the Equivalent Inverse Cipher's key schedule (FIPS-197 5.3.5). */
export function aesimc(roundKey: AesState): AesState {
  return invMixColumns(roundKey);
}

/**
 * AESKEYGENASSIST: with X1 = source dword 1 and X3 = dword 3, the result dwords are
 * SubWord(X1), RotWord(SubWord(X1)) ^ RCON, SubWord(X3), RotWord(SubWord(X3)) ^ RCON, where
 * RCON is imm8 zero-extended and RotWord moves byte 0 to byte 3 (SDM Vol. 2A AESKEYGENASSIST).
 */
export function aeskeygenassist(src: AesState, rcon: number): AesState {
  const out = new Uint8Array(16);
  for (const [from, to] of [[4, 0], [12, 8]] as const) {
    const w = [0, 1, 2, 3].map((k) => SBOX[src[from + k]!]!);
    for (let k = 0; k < 4; k++) {
      out[to + k] = w[k]!;
      out[to + 4 + k] = w[(k + 1) & 3]!;
    }
    out[to + 4] ^= rcon & 0xff;
  }
  return out;
}
