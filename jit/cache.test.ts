// Blocks compiled several to a Wasm module (core/cpu/cpu.ts lookup, jit/cache.ts installAll)
// and the dispatcher hash after INVLPG: results must be those of the SDM's instructions.
import { describe, expect, it } from 'vitest';
import { CodeCache } from './cache.ts';
import { Import } from './context.ts';
import { BLOCK_IMPORTS } from './imports.ts';
import type { Translation } from './translate.ts';
import { FunctionBuilder, Op } from './wasm/encoder.ts';
import { Pte } from '../core/cpu/mmu.ts';
import { Reg } from '../core/cpu/registers.ts';
import { createTestVm, enterFlat32, ExitReason } from '../tests/lib/machine.ts';
import { pagingVm, setPaging } from '../tests/unit/paging-lib.ts';

const hex = (s: string): number[] => [...Buffer.from(s, 'hex')];

describe('several blocks per module', () => {
  // 0x1000: mov eax, 1; jmp 0x2000; 0x100a: hlt
  // 0x2000: mov ecx, 3; l: add eax, 2; dec ecx; jnz l; jmp 0x100a
  const PAGE1 = hex('b801000000e9f60f0000f4');
  const PAGE2 = hex('b90300000083c0024975fae9faefffff');

  it('compiles the successors on the missing block\'s page once, in its module, and runs into them', () => {
    const vm = createTestVm();
    const cache = vm.vcpu.cpu.cache;
    vm.load(0x1000, PAGE1);
    vm.load(0x2000, PAGE2);
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RAX)).toBe(7);
    expect(vm.reg(Reg.RCX)).toBe(0);
    // {mov; jmp}, {mov ecx; add; dec; jnz} with its successors {add; dec; jnz} and {jmp}, {hlt}.
    expect(cache.compiled).toBe(5);
    expect(cache.modules).toBe(3);
  });

  it('invalidating one page drops exactly its blocks; the others keep running, the new code runs', () => {
    const vm = createTestVm();
    const cache = vm.vcpu.cpu.cache;
    vm.load(0x1000, PAGE1);
    vm.load(0x2000, PAGE2);
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect(cache.invalidatePage(2)).toBe(3);
    expect(cache.hasCode(1)).toBe(true);
    expect(cache.liveModules).toBe(2);
    vm.load(0x2007, [5]); // add eax, 5
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RAX)).toBe(16);
    expect(cache.compiled).toBe(8);
  });
});

describe('INVLPG and translated code', () => {
  it('a block whose last instruction extends onto a remapped page fetches the new bytes after INVLPG of that page', () => {
    const PD = 0x10000;
    const PT = 0x11000;
    const vm = pagingVm();
    vm.put32(PD, PT | Pte.P | Pte.RW);
    for (let i = 0; i < 1024; i++) vm.put32(PT + 4 * i, (i << 12) | Pte.P | Pte.RW);
    // 0x4ffd: mov eax, imm32 with its two high bytes on the next page; ret.
    vm.load(0x4ffd, [0xb8, 0x11, 0x22]);
    vm.load(0x5000, [0x00, 0x00, 0xc3]);
    vm.load(0x6000, [0x33, 0x00, 0xc3]);
    // call 0x4ffd; mov ebx, eax; mov dword [PT + 4 * 5], 0x6003; invlpg [0x5000]; call 0x4ffd; hlt
    vm.load(0x3000, hex('e8f81f000089c3c70514100100036000000f013d00500000e8e01f0000f4'));
    enterFlat32(vm, 0x3000);
    setPaging(vm, PD, 0);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RBX)).toBe(0x2211);
    expect(vm.reg(Reg.RAX)).toBe(0x332211);
  });

  it('after MOV to CR3, code at a linear address the new tables map elsewhere (not global) runs from there', () => {
    const PT = 0x11000;
    const vm = pagingVm();
    // Two page directories: PD1 maps linear 0x5000 to 0x5000, PD2 to 0x6000; the rest is identity.
    for (const [pd, pt, code] of [[0x10000, PT, 0x5000], [0x12000, 0x13000, 0x6000]]) {
      vm.put32(pd, pt | Pte.P | Pte.RW);
      for (let i = 0; i < 1024; i++) vm.put32(pt + 4 * i, (i === 5 ? code : i << 12) | Pte.P | Pte.RW);
    }
    vm.load(0x5000, hex('b801000000c3')); // mov eax, 1; ret
    vm.load(0x6000, hex('b802000000c3')); // mov eax, 2; ret
    // call 0x5000; mov ebx, eax; mov eax, 0x12000; mov cr3, eax; call 0x5000; hlt
    vm.load(0x3000, hex('e8fb1f000089c3b8002001000f22d8e8ec1f0000f4'));
    enterFlat32(vm, 0x3000);
    setPaging(vm, 0x10000, 0);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RBX)).toBe(1);
    expect(vm.reg(Reg.RAX)).toBe(2);
  });
});

describe('the runtime seen from block modules', () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const reads: number[][] = [];
  const x87 = Object.fromEntries(BLOCK_IMPORTS.slice(Import.ResolveFlags + 1).map((f) => [f.name, () => 0]));
  const runtime = { read: (...a: number[]) => void reads.push(a), write: () => {}, raise: () => {}, resolveFlags: () => {}, x87 };

  /** A block that calls helper 0 of its module, then ReadSlow(lo 7, hi 0, size 4, delta 1). */
  function block(helper: () => boolean): Translation {
    const fb = new FunctionBuilder(0);
    fb.i32Const(0).call(Import.Helper).op(Op.drop);
    fb.i32Const(7).i32Const(0).i32Const(4).i32Const(1).call(Import.ReadSlow);
    return { fb, helpers: [helper], instructions: [], length: 0, ended: false };
  }

  it('imports the memory and funcref globals only: no function import for V8 to wrap per module', () => {
    const cache = new CodeCache(memory, runtime);
    cache.keepWasm = true;
    const [b] = cache.installAll([{ key: 1, translation: block(() => false), pages: [1] }]);
    const kinds = WebAssembly.Module.imports(new WebAssembly.Module(b.wasm!)).map((i) => i.kind);
    expect(kinds).toEqual(['memory', ...BLOCK_IMPORTS.map(() => 'global')]);
  });

  it("calls each module's own helpers and the JavaScript runtime with the arguments, also after other modules were dropped", () => {
    const cache = new CodeCache(memory, runtime);
    const calls: string[] = [];
    const [a] = cache.installAll([{ key: 1, translation: block(() => (calls.push('a'), false)), pages: [1] }]);
    const [b] = cache.installAll([{ key: 2, translation: block(() => (calls.push('b'), false)), pages: [2] }]);
    reads.length = 0;
    a.run();
    b.run();
    expect(calls).toEqual(['a', 'b']);
    expect(reads).toEqual([[7, 0, 4, 1], [7, 0, 4, 1]]);
    cache.invalidatePage(1);
    cache.clear();
    const [c] = cache.installAll([{ key: 3, translation: block(() => (calls.push('c'), false)), pages: [3] }]);
    c.run();
    expect(calls).toEqual(['a', 'b', 'c']);
  });
});
