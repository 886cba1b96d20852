// Wasm SIMD instructions the SSE and MMX emitters use (WebAssembly Core Specification 2.0,
// 5.4.8 "Vector Instructions": each is 0xFD followed by this opcode as a LEB128 u32).
import type { FunctionBuilder } from '../wasm/encoder.ts';

export const enum Simd {
  v128_load = 0x00, v128_store = 0x0b, v128_const = 0x0c, i8x16_shuffle = 0x0d, i8x16_swizzle = 0x0e,
  i8x16_splat = 0x0f, i16x8_splat = 0x10, i32x4_splat = 0x11, i64x2_splat = 0x12,
  i8x16_extract_lane_u = 0x16, i8x16_replace_lane = 0x17, i16x8_extract_lane_u = 0x19, i16x8_replace_lane = 0x1a,
  i32x4_extract_lane = 0x1b, i32x4_replace_lane = 0x1c, i64x2_extract_lane = 0x1d, i64x2_replace_lane = 0x1e,
  i8x16_eq = 0x23, i8x16_lt_s = 0x25, i8x16_gt_s = 0x27,
  i16x8_eq = 0x2d, i16x8_lt_s = 0x2f, i16x8_gt_s = 0x31,
  i32x4_eq = 0x37, i32x4_lt_s = 0x39, i32x4_gt_s = 0x3b,
  v128_not = 0x4d, v128_and = 0x4e, v128_andnot = 0x4f, v128_or = 0x50, v128_xor = 0x51, v128_bitselect = 0x52,
  v128_any_true = 0x53, v128_load64_zero = 0x5d,
  i8x16_abs = 0x60, i8x16_neg = 0x61, i8x16_bitmask = 0x64, i8x16_narrow_i16x8_s = 0x65, i8x16_narrow_i16x8_u = 0x66,
  i8x16_shl = 0x6b, i8x16_shr_s = 0x6c, i8x16_shr_u = 0x6d, i8x16_add = 0x6e, i8x16_add_sat_s = 0x6f,
  i8x16_add_sat_u = 0x70, i8x16_sub = 0x71, i8x16_sub_sat_s = 0x72, i8x16_sub_sat_u = 0x73,
  i8x16_min_s = 0x76, i8x16_min_u = 0x77, i8x16_max_s = 0x78, i8x16_max_u = 0x79, i8x16_avgr_u = 0x7b,
  i16x8_extadd_pairwise_i8x16_u = 0x7d, i32x4_extadd_pairwise_i16x8_u = 0x7f,
  i16x8_abs = 0x80, i16x8_neg = 0x81, i16x8_q15mulr_sat_s = 0x82, i16x8_narrow_i32x4_s = 0x85, i16x8_narrow_i32x4_u = 0x86,
  i16x8_extend_low_i8x16_s = 0x87, i16x8_extend_low_i8x16_u = 0x89,
  i16x8_shl = 0x8b, i16x8_shr_s = 0x8c, i16x8_shr_u = 0x8d, i16x8_add = 0x8e, i16x8_add_sat_s = 0x8f,
  i16x8_add_sat_u = 0x90, i16x8_sub = 0x91, i16x8_sub_sat_s = 0x92, i16x8_sub_sat_u = 0x93,
  i16x8_mul = 0x95, i16x8_min_s = 0x96, i16x8_min_u = 0x97, i16x8_max_s = 0x98, i16x8_max_u = 0x99, i16x8_avgr_u = 0x9b,
  i16x8_extmul_low_i8x16_s = 0x9c,
  i32x4_abs = 0xa0, i32x4_neg = 0xa1, i32x4_bitmask = 0xa4,
  i32x4_extend_low_i16x8_s = 0xa7, i32x4_extend_low_i16x8_u = 0xa9,
  i32x4_shl = 0xab, i32x4_shr_s = 0xac, i32x4_shr_u = 0xad, i32x4_add = 0xae, i32x4_sub = 0xb1, i32x4_mul = 0xb5,
  i32x4_min_s = 0xb6, i32x4_min_u = 0xb7, i32x4_max_s = 0xb8, i32x4_max_u = 0xb9, i32x4_dot_i16x8_s = 0xba,
  i32x4_extmul_low_i16x8_s = 0xbc, i32x4_extmul_high_i16x8_s = 0xbd, i32x4_extmul_low_i16x8_u = 0xbe, i32x4_extmul_high_i16x8_u = 0xbf,
  i64x2_bitmask = 0xc4, i64x2_extend_low_i32x4_s = 0xc7, i64x2_extend_low_i32x4_u = 0xc9,
  i64x2_shl = 0xcb, i64x2_shr_s = 0xcc, i64x2_shr_u = 0xcd, i64x2_add = 0xce, i64x2_sub = 0xd1,
  i64x2_eq = 0xd6, i64x2_gt_s = 0xd9,
  i64x2_extmul_low_i32x4_s = 0xdc, i64x2_extmul_low_i32x4_u = 0xde,
  i32x4_all_true = 0xa3, f32x4_splat = 0x13, f64x2_splat = 0x14, f32x4_extract_lane = 0x1f, f64x2_extract_lane = 0x21,
  f32x4_replace_lane = 0x20, f64x2_replace_lane = 0x22,
  f32x4_eq = 0x41, f32x4_lt = 0x43, f32x4_gt = 0x44, f32x4_le = 0x45, f32x4_ge = 0x46,
  f64x2_eq = 0x47, f64x2_lt = 0x49, f64x2_gt = 0x4a, f64x2_le = 0x4b, f64x2_ge = 0x4c,
  f32x4_ne = 0x42, f64x2_ne = 0x48, f32x4_neg = 0xe1, f64x2_neg = 0xed,
  i32x4_ne = 0x38, f32x4_trunc = 0x69, f32x4_nearest = 0x6a, f64x2_trunc = 0x7a, f64x2_nearest = 0x94,
  f32x4_ceil = 0x67, f32x4_floor = 0x68, f64x2_ceil = 0x74, f64x2_floor = 0x75,
  f32x4_demote_f64x2_zero = 0x5e, f64x2_promote_low_f32x4 = 0x5f,
  i32x4_trunc_sat_f32x4_s = 0xf8, f32x4_convert_i32x4_s = 0xfa, i32x4_trunc_sat_f64x2_s_zero = 0xfc,
  f64x2_convert_low_i32x4_s = 0xfe,
  f32x4_abs = 0xe0, f32x4_sqrt = 0xe3, f32x4_add = 0xe4, f32x4_sub = 0xe5, f32x4_mul = 0xe6, f32x4_div = 0xe7,
  f64x2_abs = 0xec, f64x2_sqrt = 0xef, f64x2_add = 0xf0, f64x2_sub = 0xf1, f64x2_mul = 0xf2, f64x2_div = 0xf3,
}

/** Scalar float instructions (Core Spec 2.0 5.4.7 "Numeric Instructions"), one byte each. */
export const enum Num {
  f64_const = 0x44, f64_eq = 0x61, f64_lt = 0x63, f64_le = 0x65, f64_ge = 0x66, f32_demote_f64 = 0xb6,
  f64_abs = 0x99, f64_trunc = 0x9d, f64_nearest = 0x9e, i32_trunc_f64_s = 0xaa, i64_trunc_f64_s = 0xb0,
  f64_convert_i64_s = 0xb9, f64_promote_f32 = 0xbb,
}

/** f64.const with the value's bits. */
export function f64Const(fb: FunctionBuilder, v: number): void {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v, true);
  fb.byte(Num.f64_const);
  for (let i = 0; i < 8; i++) fb.byte(dv.getUint8(i));
}

/** Emits a SIMD instruction without immediates. */
export function simd(fb: FunctionBuilder, op: Simd): void {
  fb.prefixed(0xfd, op);
}

/** v128.load / v128.store / v128.load64_zero with a static offset (alignment hint 0). */
export function simdMem(fb: FunctionBuilder, op: Simd.v128_load | Simd.v128_store | Simd.v128_load64_zero, offset: number): void {
  fb.prefixed(0xfd, op).u32(0).u32(offset);
}

/** An extract_lane / replace_lane with its lane index. */
export function simdLane(fb: FunctionBuilder, op: Simd, lane: number): void {
  fb.prefixed(0xfd, op).byte(lane);
}

/** i8x16.shuffle of the two v128 on the stack with 16 lane indices (0-15 first, 16-31 second). */
export function shuffle(fb: FunctionBuilder, lanes: readonly number[]): void {
  if (lanes.length !== 16) throw new Error('shuffle needs 16 lanes');
  fb.prefixed(0xfd, Simd.i8x16_shuffle);
  for (const l of lanes) fb.byte(l);
}

/** v128.const from 16 bytes. */
export function v128Const(fb: FunctionBuilder, bytes: readonly number[]): void {
  fb.prefixed(0xfd, Simd.v128_const);
  for (let i = 0; i < 16; i++) fb.byte(bytes[i] ?? 0);
}

/** v128.const with the same 16-, 32- or 64-bit value in every lane. */
export function v128Splat(fb: FunctionBuilder, laneBytes: 1 | 2 | 4 | 8, value: bigint): void {
  const bytes: number[] = [];
  for (let i = 0; i < 16; i++) bytes.push(Number((value >> BigInt(8 * (i % laneBytes))) & 0xffn));
  v128Const(fb, bytes);
}

/** Byte lanes of element `e` of `size` bytes, from vector `which` (0 first, 1 second). */
export function laneBytes(e: number, size: number, which: 0 | 1): number[] {
  return Array.from({ length: size }, (_, k) => which * 16 + e * size + k);
}
