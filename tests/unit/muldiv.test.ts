// MUL IMUL DIV IDIV (SDM Vol. 2A/2B): results and #DE as the SDM defines them; flags as the
// host CPU sets them: MUL/IMUL write only CF and OF, DIV/IDIV keep CF/OF, set AF, clear SF ZF PF.
import { describe } from 'vitest';
import { itMatchesHost, type HostCase } from './integer-cases.ts';

const CASES: HostCase[] = [
  ['mul ebx', 'f7 e3', { eax: 0x80000000, ebx: 0x4, flags: 'CF PF AF ZF SF OF' }, { eax: 0x0, edx: 0x2, flags: 'CF PF AF ZF SF OF' }],
  ['mul ebx (no high half)', 'f7 e3', { eax: 0x3, ebx: 0x5, flags: '' }, { eax: 0xf, edx: 0x0, flags: '' }],
  ['mul bl', 'f6 e3', { eax: 0x10, ebx: 0x10 }, { eax: 0x100, flags: 'CF OF' }],
  ['mul word [esi]', '66 f7 26', { eax: 0xffff, edx: 0x0, esi: 0x31000, mem: 'ffff' }, { eax: 0x1, edx: 0xfffe, flags: 'CF OF' }],
  ['imul cx', '66 f7 e9', { eax: 0xfffe, ecx: 0x3, flags: 'CF PF AF ZF SF OF' }, { eax: 0xfffa, edx: 0x1323ffff, flags: 'PF AF ZF SF' }],
  ['imul bl', 'f6 eb', { eax: 0x80, ebx: 0xff }, { eax: 0x80, flags: 'CF OF' }],
  ['imul eax, ebx, -3', '6b c3 fd', { ebx: 0x40000000 }, { eax: 0x40000000, flags: 'CF OF' }],
  ['imul eax, ebx, -3 (fits)', '6b c3 fd', { ebx: 0x2aaaaaaa }, { eax: 0x80000002, flags: '' }],
  ['imul dx, bx, 0x100', '66 69 d3 00 01', { ebx: 0x80, edx: 0x0 }, { edx: 0x8000, flags: 'CF OF' }],
  ['imul eax, ebx', '0f af c3', { eax: 0x10000, ebx: 0x10000, flags: 'CF PF AF ZF SF OF' }, { eax: 0x0, flags: 'CF PF AF ZF SF OF' }],
  ['div ebx', 'f7 f3', { eax: 0x64, edx: 0x0, ebx: 0x7, flags: 'CF PF ZF SF OF' }, { eax: 0xe, edx: 0x2, flags: 'CF AF OF' }],
  ['div bl', 'f6 f3', { eax: 0x1234, ebx: 0xff }, { eax: 0x4612, flags: 'AF' }],
  ['div ebx by zero', 'f7 f3', { eax: 0x64, edx: 0x0, ebx: 0x0, flags: 'CF ZF SF OF' }, { fault: 0, eax: 0x64, edx: 0x0, flags: 'CF ZF SF OF' }],
  ['div ebx quotient overflow', 'f7 f3', { eax: 0x0, edx: 0x5, ebx: 0x5 }, { fault: 0, eax: 0x0, edx: 0x5, flags: '' }],
  ['idiv ebx -2^31 / -1', 'f7 fb', { eax: 0x80000000, edx: 0xffffffff, ebx: 0xffffffff }, { fault: 0, eax: 0x80000000, edx: 0xffffffff, flags: '' }],
  ['idiv bl -128 / 1', 'f6 fb', { eax: 0xff80, ebx: 0x1 }, { eax: 0x80, flags: 'AF' }],
  ['idiv bl 128 / 1', 'f6 fb', { eax: 0x80, ebx: 0x1 }, { fault: 0, eax: 0x80, flags: '' }],
  ['idiv bl -7 / 2', 'f6 fb', { eax: 0xfff9, ebx: 0x2, flags: 'CF OF' }, { eax: 0xfffd, flags: 'CF AF OF' }],
  ['idiv cx', '66 f7 f9', { eax: 0x0, edx: 0x8000, ecx: 0xffff }, { fault: 0, eax: 0x0, edx: 0x8000, flags: '' }],
];

describe('muldiv: MUL IMUL DIV IDIV', () => {
  itMatchesHost(CASES);
});
