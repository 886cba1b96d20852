// DAA DAS AAA AAS AAM AAD (SDM Vol. 2A, with the DAA/DAS examples of their reference pages);
// the flags the SDM leaves undefined as the host CPU sets them.
import { describe } from 'vitest';
import { itMatchesHost, type HostCase } from './integer-cases.ts';

const CASES: HostCase[] = [
  ['daa after add al, bl (SDM DAA example: 79h + 35h)', '00 d8 27', { eax: 0x79, ebx: 0x35 }, { eax: 0x14, flags: 'CF PF AF' }],
  ['das after sub al, bl (SDM DAS example: 35h - 47h)', '28 d8 2f', { eax: 0x35, ebx: 0x47 }, { eax: 0x88, flags: 'CF PF AF SF' }],
  ['daa (OF: sign of AL went 0 to 1)', '27', { eax: 0x7a }, { eax: 0x80, flags: 'AF SF OF' }],
  ['das (borrow of the low adjustment into CF)', '2f', { eax: 0x3, flags: 'AF' }, { eax: 0xfd, flags: 'CF AF SF' }],
  ['aaa (no adjustment)', '37', { eax: 0x1239 }, { eax: 0x1209, flags: 'PF' }],
  ['aaa (adjust: AX + 106h)', '37', { eax: 0x10f }, { eax: 0x205, flags: 'CF AF' }],
  ['aaa (AX + 106h overflows AX)', '37', { eax: 0x7ffa }, { eax: 0x8100, flags: 'CF PF AF SF OF' }],
  ['aaa (AX = 0: ZF of AX)', '37', { eax: 0x0 }, { eax: 0x0, flags: 'PF ZF' }],
  ['aas (adjust: AX - 106h)', '3f', { eax: 0x20b }, { eax: 0x105, flags: 'CF PF AF' }],
  ['aas (AF set, AX wraps)', '3f', { eax: 0x5, flags: 'AF' }, { eax: 0xfe0f, flags: 'CF PF AF SF' }],
  ['aam (base 10)', 'd4 0a', { eax: 0x4f }, { eax: 0x709, flags: 'PF' }],
  ['aam 0', 'd4 00', { eax: 0x4f }, { fault: 0, eax: 0x4f, flags: '' }],
  ['aam 16', 'd4 10', { eax: 0xff }, { eax: 0xf0f, flags: 'PF' }],
  ['aad (base 10)', 'd5 0a', { eax: 0x709 }, { eax: 0x4f, flags: '' }],
  ['aad (carry out of AL)', 'd5 01', { eax: 0xff80 }, { eax: 0x7f, flags: 'CF OF' }],
  ['aad 0', 'd5 00', { eax: 0xff80 }, { eax: 0x80, flags: 'SF' }],
];

describe('bcd: DAA DAS AAA AAS AAM AAD', () => {
  itMatchesHost(CASES);
});
