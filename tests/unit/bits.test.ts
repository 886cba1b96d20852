// BT BTS BTR BTC BSF BSR (SDM Vol. 2A): register offsets modulo the width, signed offsets that
// reach outside a memory operand, immediate offsets masked; flags the SDM leaves undefined as
// the host CPU sets them (bit tests write only CF; bit scans clear CF OF SF AF, PF from the
// index) and a zero source leaving the destination as it was.
import { describe } from 'vitest';
import { itMatchesHost, type HostCase } from './integer-cases.ts';

const CASES: HostCase[] = [
  ['bt eax, ecx (offset 35 = bit 3)', '0f a3 c8', { eax: 0x8, ecx: 0x23, flags: 'PF AF ZF SF OF' }, { eax: 0x8, flags: 'CF PF AF ZF SF OF' }],
  ['bts eax, 31', '0f ba e8 1f', { eax: 0x1 }, { eax: 0x80000001, flags: '' }],
  ['btr bx, cx (offset 0x11 = bit 1)', '66 0f b3 cb', { ebx: 0xffff, ecx: 0x11 }, { ebx: 0xfffd, flags: 'CF' }],
  ['btc eax, 37 (imm8 masked to bit 5)', '0f ba f8 25', { eax: 0x0 }, { eax: 0x20, flags: '' }],
  ['bts dword [esi], ecx (offset 37 = the next dword, bit 5)', '0f ab 0e', { esi: 0x31000, ecx: 0x25, mem: '0000000000000000' }, { mem: '0000000020000000', flags: '' }],
  ['bts dword [esi], ecx (offset -1 = bit 31 of the dword below)', '0f ab 0e', { esi: 0x31004, ecx: 0xffffffff, mem: '0000000000000000' }, { mem: '0000008000000000', flags: '' }],
  ['btr word [esi], cx (offset -17 = bit 15 of the word two below)', '66 0f b3 0e', { esi: 0x31004, ecx: 0xffffffef, mem: 'ffffffffffffffff' }, { mem: 'ff7fffffffffffff', flags: 'CF' }],
  ['bt dword [esi], 33 (imm: no displacement)', '0f ba 26 21', { esi: 0x31000, mem: '02000000ff' }, { mem: '02000000ff000000', flags: 'CF' }],
  ['bsf ecx, edx', '0f bc ca', { edx: 0x12345600, flags: 'CF PF AF ZF SF OF' }, { ecx: 0x9, flags: 'PF' }],
  ['bsf ecx, edx (source 0: destination kept)', '0f bc ca', { edx: 0x0, ecx: 0xcafe, flags: 'CF SF OF' }, { ecx: 0xcafe, flags: 'PF ZF' }],
  ['bsr eax, ebx', '0f bd c3', { ebx: 0x12345 }, { eax: 0x10, flags: '' }],
  ['bsr ax, bx (index 11: odd parity)', '66 0f bd c3', { ebx: 0x800 }, { eax: 0x1020000b, flags: '' }],
  ['bsf eax, [esi]', '0f bc 06', { esi: 0x31000, mem: '00000080' }, { eax: 0x1f, flags: '' }],
];

describe('bits: BT BTS BTR BTC BSF BSR', () => {
  itMatchesHost(CASES);
});
