// The Wasm fast path of the commonest x87 instructions (jit/emit/x87.ts, x87-fast.ts and the
// x87 runtime module x87-runtime.ts): here FLD m32/m64/ST(i), FST/FSTP m32/m64, FXCH, FLD1,
// FLDZ, FADD/FMUL/FSUB/FSUBR(P). The expected values follow from the formats (SDM Vol. 1
// 4.2.2, 8.2) and round to nearest even (4.8.4); the same program must leave the same state
// with the fast path off, and the test prints what the fast path gains on a load/store loop.
// (The host-CPU fixtures, x87-fixtures*.test.ts, run through the same emitters; the other
// fast forms are checked against host values in x87-fast-host.test.ts and against the cold
// path on random operands in x87-fast-random.test.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import { x87FastPath } from '../../jit/emit/x87.ts';
import { createTestVm, enterFlat32, ExitReason, type TestVm } from '../lib/machine.ts';

const CODE = 0x2000;
const DATA = 0x3000;
const u64 = (vm: TestVm, a: number): bigint => new DataView(vm.ram.buffer, vm.ram.byteOffset).getBigUint64(a, true);
const le64 = (v: bigint): number[] => Array.from({ length: 8 }, (_, k) => Number((v >> BigInt(8 * k)) & 0xffn));

function run(program: number[], data: number[], fast: boolean): TestVm {
  x87FastPath.enabled = fast;
  const vm = createTestVm();
  vm.load(CODE, program);
  vm.load(DATA, data);
  enterFlat32(vm, CODE);
  vm.runExpect(ExitReason.HLT);
  return vm;
}

function fpuState(vm: TestVm): Record<string, string> {
  const s = vm.vcpu.cpu.state;
  const w = (f: 'fpuSw' | 'fpuTw' | 'fpuFop'): string => s.u16[s.addr(f) >>> 1].toString(16);
  const regs = Array.from({ length: 8 }, (_, r) => `${s.u16[s.addr('fpuSignExp', r) >>> 1].toString(16)}:${s.get64('fpuMant', r).toString(16)}`);
  return { sw: w('fpuSw'), tw: w('fpuTw'), fop: w('fpuFop'), ip: s.get64('fpuIp').toString(16), dp: s.get64('fpuDp').toString(16), regs: regs.join(' ') };
}

afterEach(() => {
  x87FastPath.enabled = true;
});

describe('x87 fast path', () => {
  // mov ebx, DATA; fninit; fld qword [ebx]; fst qword [ebx+8]; fld dword [ebx+16]; fxch st1;
  // fld1; fldz; fld st2; fld tword [ebx+32]; fstp qword [ebx+48]; hlt
  const program = [0xbb, 0x00, 0x30, 0x00, 0x00, 0xdb, 0xe3, 0xdd, 0x03, 0xdd, 0x53, 0x08, 0xd9, 0x43, 0x10, 0xd9, 0xc9, 0xd9, 0xe8, 0xd9, 0xee, 0xd9, 0xc2, 0xdb, 0x6b, 0x20, 0xdd, 0x5b, 0x30, 0xf4];
  const FSTP_AT = CODE + 26;
  const data = new Array<number>(64).fill(0);
  data.splice(0, 8, ...le64(0x3ff8000000000000n)); // 1.5
  data.splice(16, 4, 0x00, 0x00, 0x00, 0x80); // -0.0f
  data.splice(32, 10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f); // 2 - 2^-63

  it('loads, exchanges, pushes constants and stores with the formats of SDM Vol. 1 4.2.2', () => {
    const vm = run(program, data, true);
    const s = vm.vcpu.cpu.state;
    // 1.5 stored back exactly; 2 - 2^-63 rounds up to 2.0 (carry into the exponent) with PE and C1.
    expect(u64(vm, DATA + 8)).toBe(0x3ff8000000000000n);
    expect(u64(vm, DATA + 48)).toBe(0x4000000000000000n);
    const sw = s.u16[s.addr('fpuSw') >>> 1];
    expect(sw & 0x20).toBe(0x20); // PE
    expect(sw & 0x200).toBe(0x200); // C1: rounded up
    expect((sw >> 11) & 7).toBe(3); // six pushes, one pop
    // ST0 = 1.5 (R3), ST1 = +0 (R4), ST2 = 1.0 (R5), ST3 = 1.5 (R6), ST4 = -0 (R7).
    const reg = (r: number): string => `${s.u16[s.addr('fpuSignExp', r) >>> 1].toString(16)}:${s.get64('fpuMant', r).toString(16)}`;
    expect([3, 4, 5, 6, 7].map(reg)).toEqual(['3fff:c000000000000000', '0:0', '3fff:8000000000000000', '3fff:c000000000000000', '8000:0']);
    // Tags: R0-R2 empty, R3 valid, R4 zero, R5 R6 valid, R7 zero (SDM Vol. 1 Figure 8-7).
    expect(s.u16[s.addr('fpuTw') >>> 1]).toBe(0b01_00_00_01_00_11_11_11);
    // The last instruction is the FSTP: FIP, FOP (DD 5B: 101 0101 1011), FDP (SDM Vol. 1 8.1.8-8.1.9).
    expect(s.get64('fpuIp')).toBe(BigInt(FSTP_AT));
    expect(s.u16[s.addr('fpuFop') >>> 1]).toBe(0x55b);
    expect(s.get64('fpuDp')).toBe(BigInt(DATA + 0x30));
  });

  it('leaves the same state as the cold path', () => {
    const fast = run(program, data, true);
    const cold = run(program, data, false);
    expect(fpuState(fast)).toEqual(fpuState(cold));
    expect(fast.ram.slice(DATA, DATA + 64)).toEqual(cold.ram.slice(DATA, DATA + 64));
  });

  it('measures a load/store/add/multiply loop', () => {
    const n = 20_000;
    // mov ebx, DATA; fninit; mov ecx, n; l: fld qword [ebx]; fld qword [ebx+8]; fxch st1;
    // fstp qword [ebx+16]; fstp qword [ebx+24]; fld1; fstp qword [ebx+40]; fld qword [ebx];
    // fld qword [ebx+8]; fmul st0, st1; faddp st1, st0; fmul qword [ebx]; fstp qword [ebx+32];
    // dec ecx; jnz l; hlt
    const body = [0xdd, 0x03, 0xdd, 0x43, 0x08, 0xd9, 0xc9, 0xdd, 0x5b, 0x10, 0xdd, 0x5b, 0x18, 0xd9, 0xe8, 0xdd, 0x5b, 0x28,
      0xdd, 0x03, 0xdd, 0x43, 0x08, 0xd8, 0xc9, 0xde, 0xc1, 0xdc, 0x0b, 0xdd, 0x5b, 0x20, 0x49];
    const loop = [0xbb, 0x00, 0x30, 0x00, 0x00, 0xdb, 0xe3, 0xb9, n & 0xff, (n >> 8) & 0xff, n >> 16, 0x00, ...body, 0x75, 256 - body.length - 2, 0xf4];
    const values = [...le64(0x3ff8000000000000n), ...le64(0x4004000000000000n)]; // 1.5, 2.5
    // The second run of the same VM finds its blocks compiled: the time is the loop's alone.
    const time = (fast: boolean): { ms: number; vm: TestVm } => {
      const vm = run(loop, values, fast);
      enterFlat32(vm, CODE);
      const t0 = performance.now();
      vm.runExpect(ExitReason.HLT);
      return { ms: performance.now() - t0, vm };
    };
    const fast = time(true);
    const cold = time(false);
    // FXCH put 1.5 back on top: it goes to +16, 2.5 to +24; (2.5 × 1.5 + 1.5) × 1.5 = 7.875.
    expect(u64(fast.vm, DATA + 16)).toBe(0x3ff8000000000000n);
    expect(u64(fast.vm, DATA + 24)).toBe(0x4004000000000000n);
    expect(u64(fast.vm, DATA + 40)).toBe(0x3ff0000000000000n);
    expect(u64(fast.vm, DATA + 32)).toBe(0x401f800000000000n);
    expect(fpuState(fast.vm)).toEqual(fpuState(cold.vm));
    const instructions = 16 * n;
    console.log(
      `x87 load/store/add/multiply loop, ${instructions} instructions: fast path ${fast.ms.toFixed(1)} ms ` +
        `(${(instructions / fast.ms / 1000).toFixed(1)} M/s), cold path ${cold.ms.toFixed(1)} ms ` +
        `(${(instructions / cold.ms / 1000).toFixed(1)} M/s): ${(cold.ms / fast.ms).toFixed(1)}x`,
    );
  });
});
