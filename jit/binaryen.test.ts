// Every block module the direct encoder writes must pass an independent validator
// (binaryen's), and its text form must show what the block does.
import { describe, expect, it } from 'vitest';
import { listFixtureFamilies, loadFixtures, LAYOUT } from '../tests/harness/fixture-format.ts';
import { createTestVm, enterFlat32 } from '../tests/lib/machine.ts';
import { validateWasm, wasmToText } from './binaryen.ts';

describe('blocks validated by binaryen', () => {
  it('accepts the blocks of 20 recorded cases from every fixture family, in both tiers', () => {
    const vm = createTestVm(4 * 1024 * 1024);
    const cpu = vm.vcpu.cpu;
    cpu.cache.keepWasm = true;
    cpu.phys.refresh();
    let checked = 0;
    for (const family of listFixtureFamilies()) {
      for (const c of loadFixtures(family).cases.slice(0, 20)) {
        vm.load(LAYOUT.codeBase, [...c.code, 0xf4]);
        cpu.cache.invalidatePage(LAYOUT.codeBase >>> 12);
        enterFlat32(vm, LAYOUT.codeBase);
        for (const single of [false, true]) {
          const wasm = cpu.lookup(single).wasm!;
          expect(validateWasm(wasm), `${family} #${c.index} ${c.asm}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(400);
  });

  it('prints a block as text: ADD EAX, EBX loads both registers and adds them as i64', () => {
    const vm = createTestVm();
    const cpu = vm.vcpu.cpu;
    cpu.cache.keepWasm = true;
    cpu.phys.refresh();
    vm.load(0x1000, [0x01, 0xd8, 0xf4]); // add eax, ebx ; hlt
    enterFlat32(vm, 0x1000);
    const text = wasmToText(cpu.lookup(false).wasm!);
    expect(text).toContain('i64.load32_u');
    expect(text).toContain('i64.add');
    expect(text).toContain('(export "run"');
  });
});
