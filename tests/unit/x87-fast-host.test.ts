// The x87 fast paths (jit/emit/x87-fast*.ts, x87-arith.ts) against values recorded on the host
// CPU (AMD EPYC, the machine the x87 fixtures come from): each case's bytes were run natively
// (gcc -m32, the same instruction bytes copied into an executable page with EBX pointing at
// the same data) and the status word, tag word, ST(0), integer/memory result and EFLAGS noted.
// Hard cases: quotients that need a normalization shift, exact ties at 53 and 24 bits (at 64
// bits a quotient of two 64-bit significands is never a tie), results at the edge of the
// normal range and beyond it (denormal, overflow: the cold path), zeros, FILD of INT64_MIN,
// FIST(P) of ties and of out-of-range values (#IA masked: the integer indefinite).
import { afterEach, describe, expect, it } from 'vitest';
import { x87FastPath } from '../../jit/emit/x87.ts';
import { createTestVm, enterFlat32, ExitReason, type TestVm } from '../lib/machine.ts';

const CODE = 0x2000;
const DATA = 0x3000;
/** FCW: all exceptions masked, round to nearest, PC = 64, 53 or 24 bits (SDM Vol. 1 8.1.5). */
const PC64 = 0x37f;
const PC53 = 0x27f;
const PC24 = 0x07f;

/**
 * Data: +0 FCW, +2 FSW after the operation, +4 AX, +8 EFLAGS, +16 b (ST(1)), +32 a (ST(0)),
 * +48 memory operand or integer result, +64 ST(0) afterwards (m80), +96 FNSTENV image.
 * mov ebx, DATA; fninit; fldcw [ebx]; fld tword [ebx+16]; fld tword [ebx+32]; <op>;
 * fnstsw [ebx+2]; pushfd; pop dword [ebx+8]; fnstenv [ebx+96]; fldcw [ebx]; fstp tword [ebx+64]; hlt
 */
const PRELUDE = [0xbb, 0x00, 0x30, 0x00, 0x00, 0xdb, 0xe3, 0xd9, 0x2b, 0xdb, 0x6b, 0x10, 0xdb, 0x6b, 0x20];
const EPILOGUE = [0xdd, 0x7b, 0x02, 0x9c, 0x8f, 0x43, 0x08, 0xd9, 0x73, 0x60, 0xd9, 0x2b, 0xdb, 0x7b, 0x40, 0xf4];

/** [name, FCW, a 'signexp:significand', b, operation bytes, host result, memory operand]. */
type Case = [string, number, string, string, number[], string, bigint?];
const CASES: Case[] = [
  ['fdiv 1/3 pc64', PC64, '3fff:8000000000000000', '4000:c000000000000000', [0xd8, 0xf1], 'sw=3220 tw=fff st0=3ffd:aaaaaaaaaaaaaaab'],
  ['fdiv 1/3 pc53', PC53, '3fff:8000000000000000', '4000:c000000000000000', [0xd8, 0xf1], 'sw=3020 tw=fff st0=3ffd:aaaaaaaaaaaaa800'],
  ['fdiv 1/3 pc24', PC24, '3fff:8000000000000000', '4000:c000000000000000', [0xd8, 0xf1], 'sw=3220 tw=fff st0=3ffd:aaaaab0000000000'],
  ['fdiv 2/3 pc64 (no shift)', PC64, '4000:8000000000000000', '4000:c000000000000000', [0xd8, 0xf1], 'sw=3220 tw=fff st0=3ffe:aaaaaaaaaaaaaaab'],
  ['fdiv 1/1.5 (normalization shift)', PC64, '3fff:8000000000000000', '3fff:c000000000000000', [0xd8, 0xf1], 'sw=3220 tw=fff st0=3ffe:aaaaaaaaaaaaaaab'],
  ['fdiv all-ones/all-ones = 1', PC64, '3fff:ffffffffffffffff', '3fff:ffffffffffffffff', [0xd8, 0xf1], 'sw=3000 tw=fff st0=3fff:8000000000000000'],
  ['fdiv 1/all-ones', PC64, '3fff:8000000000000000', '3fff:ffffffffffffffff', [0xd8, 0xf1], 'sw=3220 tw=fff st0=3ffe:8000000000000001'],
  ['fdiv all-ones/1.5 pc53', PC53, 'c010:ffffffffffffffff', '3fff:c000000000000000', [0xd8, 0xf1], 'sw=3020 tw=fff st0=c010:aaaaaaaaaaaaa800'],
  ['fdiv tie pc53 to even (down)', PC53, '4035:c000000000000600', '4000:c000000000000000', [0xd8, 0xf1], 'sw=3020 tw=fff st0=4034:8000000000000000'],
  ['fdiv tie pc53 to even (up)', PC53, '4035:c000000000001200', '4000:c000000000000000', [0xd8, 0xf1], 'sw=3220 tw=fff st0=4034:8000000000001000'],
  ['fdiv tie pc24 (cold)', PC24, '4018:c000024000000000', '4000:c000000000000000', [0xd8, 0xf1], 'sw=3220 tw=fff st0=4017:8000020000000000'],
  ['fdiv exact 65-bit-looking pc64', PC64, '403e:c000000000000001', '4000:c000000000000000', [0xd8, 0xf1], 'sw=3220 tw=fff st0=403d:8000000000000001'],
  ['fdiv 10/7 pc64 negative', PC64, 'c002:a000000000000000', '4001:e000000000000000', [0xd8, 0xf1], 'sw=3020 tw=fff st0=bfff:b6db6db6db6db6db'],
  ['fdiv denormal result (cold)', PC64, 'a:8000000000003039', '4063:8000000000000000', [0xd8, 0xf1], 'sw=3030 tw=1fff st0=0:0'],
  ['fdiv smallest normal result', PC64, '65:8000000000000000', '4063:8000000000000000', [0xd8, 0xf1], 'sw=3000 tw=fff st0=1:8000000000000000'],
  ['fdiv overflow (cold)', PC64, '7ff0:8000000000000000', '64:8000000000000000', [0xd8, 0xf1], 'sw=3228 tw=2fff st0=7fff:8000000000000000'],
  ['fdiv 0/3', PC64, '0:0', '4000:c000000000000000', [0xd8, 0xf1], 'sw=3000 tw=1fff st0=0:0'],
  ['fdiv -0/3', PC64, '8000:0', '4000:c000000000000000', [0xd8, 0xf1], 'sw=3000 tw=1fff st0=8000:0'],
  ['fdiv 3/0 (cold, ZE)', PC64, '4000:c000000000000000', '0:0', [0xd8, 0xf1], 'sw=3004 tw=6fff st0=7fff:8000000000000000'],
  ['fdivr st0,st1 = b/a', PC64, '4000:c000000000000000', '3fff:8000000000000000', [0xd8, 0xf9], 'sw=3220 tw=fff st0=3ffd:aaaaaaaaaaaaaaab'],
  ['fdiv m64', PC53, '3fff:8000000000000000', '0:0', [0xdc, 0x73, 0x30], 'sw=3220 tw=4fff st0=3ffb:ccccccccccccd000 mem=4024000000000000', 0x4024000000000000n],
  ['fdivr m64', PC53, '4001:e000000000000000', '0:0', [0xdc, 0x7b, 0x30], 'sw=3220 tw=4fff st0=3fff:b6db6db6db6db800 mem=4024000000000000', 0x4024000000000000n],
  ['fdiv m32', PC64, '3fff:8000000000000000', '0:0', [0xd8, 0x73, 0x30], 'sw=3220 tw=4fff st0=3ffb:cccccccccccccccd mem=41200000', 0x41200000n],
  ['fdivp (DE F9): st1 = st1/st0', PC53, '4000:c000000000000000', '4002:a000000000000000', [0xde, 0xf9], 'sw=3a20 tw=3fff st0=4000:d555555555555800'],
  ['fdivrp (DE F1): st1 = st0/st1', PC53, '4000:c000000000000000', '4002:a000000000000000', [0xde, 0xf1], 'sw=3820 tw=3fff st0=3ffd:9999999999999800'],
  ['fadd 0 + x pc53 rounds x', PC53, '0:0', '3fff:ffffffffffffffff', [0xd8, 0xc1], 'sw=3220 tw=fff st0=4000:8000000000000000'],
  ['fadd -0 + +0', PC64, '8000:0', '0:0', [0xd8, 0xc1], 'sw=3000 tw=5fff st0=0:0'],
  ['fadd -0 + -0', PC64, '8000:0', '8000:0', [0xd8, 0xc1], 'sw=3000 tw=5fff st0=8000:0'],
  ['fsub x - x', PC64, '4001:b000000000000000', '4001:b000000000000000', [0xd8, 0xe1], 'sw=3000 tw=1fff st0=0:0'],
  ['fadd x + 0 far exponent', PC64, 'f530:8000000000000005', '0:0', [0xd8, 0xc1], 'sw=3000 tw=4fff st0=f530:8000000000000005'],
  ['fmul 0 * -x', PC64, '0:0', 'c000:c000000000000000', [0xd8, 0xc9], 'sw=3000 tw=1fff st0=8000:0'],
  ['fadd m64 of zero', PC53, 'c000:b000000000000000', '0:0', [0xdc, 0x43, 0x30], 'sw=3000 tw=4fff st0=c000:b000000000000000 mem=8000000000000000', 0x8000000000000000n],
  ['fild m64 INT64_MIN', PC64, '3fff:8000000000000000', '4000:8000000000000000', [0xdf, 0x6b, 0x30], 'sw=2800 tw=3ff st0=c03e:8000000000000000 mem=8000000000000000', 0x8000000000000000n],
  ['fild m64 -1', PC64, '3fff:8000000000000000', '4000:8000000000000000', [0xdf, 0x6b, 0x30], 'sw=2800 tw=3ff st0=bfff:8000000000000000 mem=ffffffffffffffff', 0xffffffffffffffffn],
  ['fild m32 INT32_MIN', PC64, '3fff:8000000000000000', '4000:8000000000000000', [0xdb, 0x43, 0x30], 'sw=2800 tw=3ff st0=c01e:8000000000000000 mem=80000000', 0x80000000n],
  ['fild m16 0', PC64, '3fff:8000000000000000', '4000:8000000000000000', [0xdf, 0x43, 0x30], 'sw=2800 tw=7ff st0=0:0 mem=0', 0x0n],
  ['fild m16 -300', PC64, '3fff:8000000000000000', '4000:8000000000000000', [0xdf, 0x43, 0x30], 'sw=2800 tw=3ff st0=c007:9600000000000000 mem=fed4', 0xfed4n],
  ['fistp m32 2.5 (tie to even)', PC64, '4000:a000000000000000', '0:0', [0xdb, 0x5b, 0x30], 'sw=3820 tw=7fff st0=0:0 mem=2'],
  ['fistp m32 3.5 (tie up)', PC64, '4000:e000000000000000', '0:0', [0xdb, 0x5b, 0x30], 'sw=3a20 tw=7fff st0=0:0 mem=4'],
  ['fistp m32 -2.5', PC64, 'c000:a000000000000000', '0:0', [0xdb, 0x5b, 0x30], 'sw=3820 tw=7fff st0=0:0 mem=fffffffe'],
  ['fistp m32 INT32_MIN', PC64, 'c01e:8000000000000000', '0:0', [0xdb, 0x5b, 0x30], 'sw=3800 tw=7fff st0=0:0 mem=80000000'],
  ['fistp m32 2^31 (out of range)', PC64, '401e:8000000000000000', '0:0', [0xdb, 0x5b, 0x30], 'sw=3801 tw=7fff st0=0:0 mem=80000000'],
  ['fistp m32 2^31-0.5 rounds out of range', PC64, '401d:ffffffff00000000', '0:0', [0xdb, 0x5b, 0x30], 'sw=3801 tw=7fff st0=0:0 mem=80000000'],
  ['fistp m32 0.5 (below 1)', PC64, '3ffe:8000000000000000', '0:0', [0xdb, 0x5b, 0x30], 'sw=3820 tw=7fff st0=0:0 mem=0'],
  ['fistp m32 -0', PC64, '8000:0', '0:0', [0xdb, 0x5b, 0x30], 'sw=3800 tw=7fff st0=0:0 mem=0'],
  ['fist m16 -32768.4', PC64, 'c00e:8000666666666800', '0:0', [0xdf, 0x53, 0x30], 'sw=3020 tw=4fff st0=c00e:8000666666666800 mem=8000'],
  ['fist m16 32767.6 (out of range)', PC64, '400d:ffff333333333000', '0:0', [0xdf, 0x53, 0x30], 'sw=3001 tw=4fff st0=400d:ffff333333333000 mem=8000'],
  ['fistp m64 -2^63', PC64, 'c03e:8000000000000000', '0:0', [0xdf, 0x7b, 0x30], 'sw=3800 tw=7fff st0=0:0 mem=8000000000000000'],
  ['fistp m64 2^61+0.75 (rounds up)', PC64, '403c:8000000000000003', '0:0', [0xdf, 0x7b, 0x30], 'sw=3a20 tw=7fff st0=0:0 mem=2000000000000001'],
  ['fistp m64 large inexact', PC64, '4027:8000000123456789', '0:0', [0xdf, 0x7b, 0x30], 'sw=3a20 tw=7fff st0=0:0 mem=10000000247'],
  ['fistp m32 rc down (cold)', 0x77f, 'c000:a000000000000000', '0:0', [0xdb, 0x5b, 0x30], 'sw=3a20 tw=7fff st0=0:0 mem=fffffffd'],
  ['fcom less', PC64, '3fff:8000000000000000', '4000:8000000000000000', [0xd8, 0xd1], 'sw=3100 tw=fff st0=3fff:8000000000000000'],
  ['fcom greater', PC64, '4000:c000000000000000', '4000:8000000000000000', [0xd8, 0xd1], 'sw=3000 tw=fff st0=4000:c000000000000000'],
  ['fcom equal', PC64, '4000:8000000000000000', '4000:8000000000000000', [0xd8, 0xd1], 'sw=7000 tw=fff st0=4000:8000000000000000'],
  ['fcom -0 vs +0', PC64, '8000:0', '0:0', [0xd8, 0xd1], 'sw=7000 tw=5fff st0=8000:0'],
  ['fcom -0 vs -5', PC64, '8000:0', 'c001:a000000000000000', [0xd8, 0xd1], 'sw=3000 tw=1fff st0=8000:0'],
  ['fcom -7 vs -5', PC64, 'c001:e000000000000000', 'c001:a000000000000000', [0xd8, 0xd1], 'sw=3100 tw=fff st0=c001:e000000000000000'],
  ['fcom -inf vs 5', PC64, 'ffff:8000000000000000', '4001:a000000000000000', [0xd8, 0xd1], 'sw=3100 tw=2fff st0=ffff:8000000000000000'],
  ['fcomp greater', PC64, '4000:c000000000000000', '4000:8000000000000000', [0xd8, 0xd9], 'sw=3800 tw=3fff st0=4000:8000000000000000'],
  ['fcompp less', PC64, '3fff:8000000000000000', '4000:8000000000000000', [0xde, 0xd9], 'sw=100 tw=ffff st0=ffff:c000000000000000'],
  ['fucompp equal', PC64, '4000:8000000000000000', '4000:8000000000000000', [0xda, 0xe9], 'sw=4000 tw=ffff st0=ffff:c000000000000000'],
  ['fucom nan (cold)', PC64, '7fff:c000000000000000', '4000:8000000000000000', [0xdd, 0xe1], 'sw=7500 tw=2fff st0=7fff:c000000000000000'],
  ['fcom m64', PC64, '4000:8000000000000000', '0:0', [0xdc, 0x53, 0x30], 'sw=3100 tw=4fff st0=4000:8000000000000000 mem=4004000000000000', 0x4004000000000000n],
  ['fcom m32 equal', PC64, '4002:a000000000000000', '0:0', [0xd8, 0x53, 0x30], 'sw=7000 tw=4fff st0=4002:a000000000000000 mem=41200000', 0x41200000n],
  ['ftst negative', PC64, 'bfff:8000000000000000', '0:0', [0xd9, 0xe4], 'sw=3100 tw=4fff st0=bfff:8000000000000000'],
  ['ftst -0', PC64, '8000:0', '0:0', [0xd9, 0xe4], 'sw=7000 tw=5fff st0=8000:0'],
  ['fcomi less', PC64, '3fff:8000000000000000', '4000:8000000000000000', [0xdb, 0xf1], 'sw=3000 tw=fff st0=3fff:8000000000000000 flags=1'],
  ['fcomi equal', PC64, '4000:8000000000000000', '4000:8000000000000000', [0xdb, 0xf1], 'sw=3000 tw=fff st0=4000:8000000000000000 flags=40'],
  ['fcomi greater', PC64, '4000:c000000000000000', '4000:8000000000000000', [0xdb, 0xf1], 'sw=3000 tw=fff st0=4000:c000000000000000 flags=0'],
  ['fucomip less', PC64, 'c000:c000000000000000', '4000:8000000000000000', [0xdf, 0xe9], 'sw=3800 tw=3fff st0=4000:8000000000000000 flags=1'],
  ['fcomi denormal (cold)', PC64, '0:5', '4000:8000000000000000', [0xdb, 0xf1], 'sw=3002 tw=2fff st0=0:5 flags=1'],
  ['fchs', PC64, '3fff:a000000000000000', '0:0', [0xd9, 0xe0], 'sw=3000 tw=4fff st0=bfff:a000000000000000'],
  ['fabs', PC64, 'bfff:a000000000000000', '0:0', [0xd9, 0xe1], 'sw=3000 tw=4fff st0=3fff:a000000000000000'],
  ['fchs nan', PC64, '7fff:8000000000000001', '0:0', [0xd9, 0xe0], 'sw=3000 tw=6fff st0=ffff:8000000000000001'],
  ['fstp st2', PC64, '3fff:a000000000000000', '4000:8000000000000000', [0xdd, 0xda], 'sw=3800 tw=3ffc st0=4000:8000000000000000'],
  ['fst st1', PC64, '3fff:a000000000000000', '4000:8000000000000000', [0xdd, 0xd1], 'sw=3000 tw=fff st0=3fff:a000000000000000'],
  ['fstp st0', PC64, '3fff:a000000000000000', '4000:8000000000000000', [0xdd, 0xd8], 'sw=3800 tw=3fff st0=4000:8000000000000000'],
  ['fnstsw ax', PC64, '3fff:8000000000000000', '4000:8000000000000000', [0xd8, 0xd1, 0xdf, 0xe0, 0x66, 0x89, 0x43, 0x04], 'sw=3100 tw=fff st0=3fff:8000000000000000 ax=3100'],
];

const le = (v: bigint, n: number): number[] => Array.from({ length: n }, (_, k) => Number((v >> BigInt(8 * k)) & 0xffn));
const reg80 = (s: string): number[] => {
  const [se, mant] = s.split(':');
  return [...le(BigInt(`0x${mant}`), 8), ...le(BigInt(`0x${se}`), 2)];
};

function run(c: Case, fast: boolean): string {
  const [name, cw, a, b, op, expected, mem] = c;
  x87FastPath.enabled = fast;
  const vm: TestVm = createTestVm();
  const data = new Array<number>(128).fill(0);
  data.splice(0, 2, ...le(BigInt(cw), 2));
  data.splice(16, 10, ...reg80(b));
  data.splice(32, 10, ...reg80(a));
  if (mem !== undefined) data.splice(48, 8, ...le(mem, 8));
  vm.load(CODE, [...PRELUDE, ...op, ...EPILOGUE]);
  vm.load(DATA, data);
  enterFlat32(vm, CODE);
  vm.runExpect(ExitReason.HLT);
  const dv = new DataView(vm.ram.buffer, vm.ram.byteOffset + DATA);
  const hex = (v: number | bigint): string => v.toString(16);
  let out = `sw=${hex(dv.getUint16(2, true))} tw=${hex(dv.getUint16(104, true))} st0=${hex(dv.getUint16(72, true))}:${hex(dv.getBigUint64(64, true))}`;
  if (expected.includes('mem=')) out += ` mem=${hex(dv.getBigUint64(48, true))}`;
  // FCOMI: ZF PF CF, and OF SF AF cleared (SDM Vol. 2A FCOMI).
  if (expected.includes('flags=')) out += ` flags=${hex(dv.getUint32(8, true) & 0x8d5)}`;
  if (expected.includes('ax=')) out += ` ax=${hex(dv.getUint16(4, true))}`;
  return `${name}: ${out}`;
}

afterEach(() => {
  x87FastPath.enabled = true;
});

describe('x87 fast paths against the host CPU', () => {
  it.each(CASES.map((c) => [c[0], c] as const))('%s', (_, c) => {
    expect(run(c, true)).toBe(`${c[0]}: ${c[5]}`);
    expect(run(c, false)).toBe(`${c[0]}: ${c[5]}`);
  });
});
