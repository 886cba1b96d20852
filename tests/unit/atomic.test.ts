// XADD CMPXCHG CMPXCHG8B (SDM Vol. 2A/2D): exchange order, the accumulator load and the
// write-back of a memory destination when the comparison fails; values from the host CPU.
import { describe } from 'vitest';
import { itMatchesHost, type HostCase } from './integer-cases.ts';

const CASES: HostCase[] = [
  ['xadd ebx, ecx', '0f c1 cb', { ebx: 0xffffffff, ecx: 0x1 }, { ebx: 0x0, ecx: 0xffffffff, flags: 'CF PF AF ZF' }],
  ['xadd ebx, ebx (the sum wins)', '0f c1 db', { ebx: 0x5 }, { ebx: 0xa, flags: 'PF' }],
  ['xadd byte [esi], al', '0f c0 06', { esi: 0x31000, eax: 0x7f, mem: '01' }, { eax: 0x1, mem: '8000000000000000', flags: 'AF SF OF' }],
  ['cmpxchg ebx, ecx (equal)', '0f b1 cb', { eax: 0x5, ebx: 0x5, ecx: 0x7 }, { eax: 0x5, ebx: 0x7, flags: 'PF ZF' }],
  ['cmpxchg ebx, ecx (not equal)', '0f b1 cb', { eax: 0x6, ebx: 0x5, ecx: 0x7 }, { eax: 0x5, ebx: 0x5, flags: '' }],
  ['cmpxchg eax, ebx (the accumulator is the destination)', '0f b1 d8', { eax: 0x6, ebx: 0x9 }, { eax: 0x9, flags: 'PF ZF' }],
  ['cmpxchg word [esi], cx (not equal: written back)', '66 0f b1 0e', { esi: 0x31000, eax: 0x1, ecx: 0xbeef, mem: '3412' }, { eax: 0x1234, mem: '3412000000000000', flags: 'CF AF SF' }],
  ['cmpxchg byte [esi], cl (equal)', '0f b0 0e', { esi: 0x31000, eax: 0x34, ecx: 0xef, mem: '34' }, { eax: 0x34, mem: 'ef00000000000000', flags: 'PF ZF' }],
  ['cmpxchg8b [esi] (equal)', '0f c7 0e', { esi: 0x31000, eax: 0x11111111, edx: 0x22222222, ebx: 0x33333333, ecx: 0x44444444, mem: '1111111122222222' }, { eax: 0x11111111, edx: 0x22222222, mem: '3333333344444444', flags: 'ZF' }],
  ['cmpxchg8b [esi] (not equal)', '0f c7 0e', { esi: 0x31000, eax: 0x11111111, edx: 0x22222223, ebx: 0x33333333, ecx: 0x44444444, mem: '1111111122222222', flags: 'ZF' }, { eax: 0x11111111, edx: 0x22222222, mem: '1111111122222222', flags: '' }],
];

describe('atomic: XADD CMPXCHG CMPXCHG8B', () => {
  itMatchesHost(CASES);
});
