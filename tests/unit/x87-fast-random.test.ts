// The x87 fast paths (jit/emit/x87-fast*.ts) against the cold path (core/fpu, exact bigint
// arithmetic; itself checked against the host by the x87 fixtures) on many pseudo-random
// operands: one guest loop per operation and precision control, run with the fast path on
// and off, must leave the same results, status words and integers in memory. The host-value
// cases are in x87-fast-host.test.ts; this one covers the long tail of roundings.
import { afterEach, describe, expect, it } from 'vitest';
import { x87FastPath } from '../../jit/emit/x87.ts';
import { createTestVm, enterFlat32, ExitReason } from '../lib/machine.ts';

const CODE = 0x2000;
const CW_AT = 0x3000;
const TABLE = 0x4000;
/** Record: +0 a (m80), +16 b (m80), +24 integer result, +32 ST(0) after (m80), +42 FSW. */
const RECORD = 48;
const N = 400;

/** mov ebx, TABLE; mov ecx, N; fninit; fldcw [CW_AT]; l: fld tword [ebx+16]; fld tword [ebx]; <op>;
 *  fnstsw [ebx+42]; fstp tword [ebx+32]; fstp st0; fnclex; add ebx, 48; dec ecx; jnz l; hlt */
function program(op: number[]): number[] {
  const body = [0xdb, 0x6b, 0x10, 0xdb, 0x2b, ...op, 0xdd, 0x7b, 0x2a, 0xdb, 0x7b, 0x20, 0xdd, 0xd8, 0xdb, 0xe2, 0x83, 0xc3, RECORD, 0x49];
  return [0xbb, 0x00, 0x40, 0x00, 0x00, 0xb9, N & 0xff, N >> 8, 0x00, 0x00, 0xdb, 0xe3, 0xd9, 0x2d, 0x00, 0x30, 0x00, 0x00, ...body, 0x75, 256 - body.length - 2, 0xf4];
}

/** xorshift32 (Marsaglia), deterministic. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

/**
 * Operands: normal values with nearby exponents, significands often with long runs of ones or
 * zeros (carries and ties), sometimes short (exact results), sometimes zero, and `b` equal to
 * `a` now and then; `intRange` keeps exponents where FIST has integers to round.
 */
function table(seed: number, intRange: boolean): number[] {
  const next = rng(seed);
  const bytes: number[] = [];
  const mantissa = (): bigint => {
    const kind = next() % 4;
    let m = (BigInt(next()) << 32n) | BigInt(next());
    if (kind === 1) m |= (1n << BigInt(next() % 64)) - 1n;
    if (kind === 2) m &= ~((1n << BigInt(next() % 64)) - 1n);
    if (kind === 3) m &= ~((1n << 40n) - 1n);
    return m | (1n << 63n);
  };
  const value = (): [number, bigint] => {
    if (next() % 16 === 0) return [(next() & 1) << 15, 0n];
    const exp = intRange ? 16383 + (next() % 70) - 3 : 16383 + (next() % 9) - 4;
    return [((next() & 1) << 15) | exp, mantissa()];
  };
  for (let i = 0; i < N; i++) {
    const a = value();
    const b = next() % 8 === 0 ? a : value();
    const rec = new Array<number>(RECORD).fill(0);
    for (const [at, [se, m]] of [[0, a], [16, b]] as const) {
      for (let k = 0; k < 8; k++) rec[at + k] = Number((m >> BigInt(8 * k)) & 0xffn);
      rec[at + 8] = se & 0xff;
      rec[at + 9] = se >> 8;
    }
    bytes.push(...rec);
  }
  return bytes;
}

function run(op: number[], cw: number, seed: number, intRange: boolean, fast: boolean): Uint8Array {
  x87FastPath.enabled = fast;
  const vm = createTestVm();
  vm.load(CODE, program(op));
  vm.load(CW_AT, [cw & 0xff, cw >> 8]);
  vm.load(TABLE, table(seed, intRange));
  enterFlat32(vm, CODE);
  vm.runExpect(ExitReason.HLT);
  return vm.ram.slice(TABLE, TABLE + N * RECORD);
}

afterEach(() => {
  x87FastPath.enabled = true;
});

const OPS: [string, number[], boolean][] = [
  ['fdiv st0, st1', [0xd8, 0xf1], false],
  ['fdivr st0, st1', [0xd8, 0xf9], false],
  ['fmul st0, st1', [0xd8, 0xc9], false],
  ['fadd st0, st1', [0xd8, 0xc1], false],
  ['fsub st0, st1', [0xd8, 0xe1], false],
  ['fcom st1', [0xd8, 0xd1], false],
  ['fucomi st0, st1', [0xdb, 0xe9], false],
  ['fistp qword [ebx+24]', [0xdf, 0x7b, 0x18], true],
  ['fist dword [ebx+24]', [0xdb, 0x53, 0x18], true],
];

describe('x87 fast paths against the cold path on pseudo-random operands', () => {
  for (const [name, op, intRange] of OPS) {
    for (const [pc, cw] of [['PC64', 0x37f], ['PC53', 0x27f]] as const) {
      it(`${name}, ${pc}`, () => {
        const seed = 0x9e3779b9 ^ (op[0] << 8) ^ op[1] ^ cw;
        expect(run(op, cw, seed, intRange, true)).toEqual(run(op, cw, seed, intRange, false));
      });
    }
  }
});
