// 90 is NOP only without REX.B: 49 90 is XCHG R8, RAX and 41 90 XCHG R8D, EAX, which
// zero-extends both (SDM Vol. 2B NOP, XCHG). Expected values recorded on the host CPU
// (gcc, x86-64): RAX = 0x1111111122222222, R8 = 0x3333333344444444 before each.
import { describe, expect, it } from 'vitest';
import { Reg } from '../../core/cpu/registers.ts';
import { ExitReason } from '../lib/machine.ts';
import { longModeVm } from './long-mode-guest.ts';

const CODE = 0x4000;

function run(code: number[]): [bigint, bigint] {
  const vm = longModeVm(CODE);
  vm.load(CODE, [...code, 0xf4]);
  const s = vm.vcpu.cpu.state;
  s.set64('gpr', 0x1111111122222222n, Reg.RAX);
  s.set64('gpr', 0x3333333344444444n, Reg.R8);
  vm.runExpect(ExitReason.HLT);
  return [s.get64('gpr', Reg.RAX), s.get64('gpr', Reg.R8)];
}

describe('opcode 90 with REX', () => {
  it('49 90: XCHG R8, RAX', () => expect(run([0x49, 0x90])).toEqual([0x3333333344444444n, 0x1111111122222222n]));
  it('41 90: XCHG R8D, EAX zero-extends both', () => expect(run([0x41, 0x90])).toEqual([0x44444444n, 0x22222222n]));
  it('90: NOP', () => expect(run([0x90])).toEqual([0x1111111122222222n, 0x3333333344444444n]));
});
