// SALC (D6), undocumented by Intel and listed as invalid in 64-bit mode: AL = CF ? 0xFF : 0x00,
// flags unchanged. Expected values recorded on the host CPU (gcc -m32, stc/clc; salc).
import { describe, expect, it } from 'vitest';
import { createTestVm, enterFlat32, ExitReason } from '../lib/machine.ts';

describe('SALC', () => {
  it.each([
    ['stc', 0xf9, 0xff],
    ['clc', 0xf8, 0x00],
  ])('after %s sets AL to 0x%s', (_name, op, al) => {
    const vm = createTestVm();
    vm.load(0x1000, [0xb8, 0x55, 0x55, 0x55, 0x55, op, 0xd6, 0xf4]); // mov eax, 0x55555555; stc/clc; salc; hlt
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(0)).toBe((0x55555500 | al) >>> 0);
    expect(vm.flags() & 1).toBe(op === 0xf9 ? 1 : 0);
  });
});
