// A guest that runs more distinct blocks than the code cache keeps live: the cache flushes
// itself (jit/cache.ts MAX_LIVE_BLOCKS) and execution goes on with the right result.
import { describe, expect, it } from 'vitest';
import { MAX_LIVE_BLOCKS } from '../../jit/cache.ts';
import { createTestVm, enterFlat32, ExitReason } from '../lib/machine.ts';

describe('code cache limit', () => {
  it(`flushes at ${MAX_LIVE_BLOCKS} live blocks and keeps executing correctly`, () => {
    const vm = createTestVm();
    const n = MAX_LIVE_BLOCKS + 100;
    // n blocks of "inc eax; jmp short $+2" (40 EB 00), then hlt: each JMP ends a block.
    const code: number[] = [0x31, 0xc0]; // xor eax, eax
    for (let i = 0; i < n; i++) code.push(0x40, 0xeb, 0x00);
    code.push(0xf4);
    vm.load(0x10000, code);
    enterFlat32(vm, 0x10000);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(0)).toBe(n);
    expect(vm.vcpu.cpu.cache.flushes).toBe(1);
  }, 120_000);
});
