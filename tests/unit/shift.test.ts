// Shifts and rotates (SDM Vol. 2B SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD): the count
// masked to 5 bits, RCL/RCR through CF modulo 9/17, no flag change for a zero count; where
// the SDM leaves OF, AF, CF or the SHLD/SHRD result undefined, what the host CPU produced.
import { describe } from 'vitest';
import { itMatchesHost, type HostCase } from './integer-cases.ts';

const CASES: HostCase[] = [
  ['shl eax, cl (CL = 0: no flag changes)', 'd3 e0', { eax: 0x80000001, ecx: 0x0, flags: 'CF PF AF ZF SF OF' }, { eax: 0x80000001, flags: 'CF PF AF ZF SF OF' }],
  ['shl eax, cl (CL = 32 masks to 0)', 'd3 e0', { eax: 0x80000001, ecx: 0x20, flags: '' }, { eax: 0x80000001, flags: '' }],
  ['shl eax, 1', 'd1 e0', { eax: 0xc0000001 }, { eax: 0x80000002, flags: 'CF AF SF' }],
  ['shl al, cl (CL = 8: CF = bit 0)', 'd2 e0', { eax: 0x1234567f, ecx: 0x8 }, { eax: 0x12345600, flags: 'CF PF AF ZF OF' }],
  ['shl al, cl (CL = 9: past the operand)', 'd2 e0', { eax: 0x123456ff, ecx: 0x9, flags: 'CF OF' }, { eax: 0x12345600, flags: 'PF AF ZF' }],
  ['shl ax, 5 (OF = MSB xor CF)', '66 c1 e0 05', { eax: 0xfc00 }, { eax: 0x8000, flags: 'CF PF AF SF' }],
  ['shr eax, cl (CL = 1)', 'd3 e8', { eax: 0x80000001, ecx: 0x1 }, { eax: 0x40000000, flags: 'CF PF AF OF' }],
  ['shr eax, 4 (OF from the two top result bits)', 'c1 e8 04', { eax: 0xf0000000 }, { eax: 0xf000000, flags: 'PF AF' }],
  ['shr bx, cl (CL = 17)', '66 d3 eb', { ebx: 0x8000, ecx: 0x11 }, { ebx: 0x0, flags: 'PF AF ZF' }],
  ['sar edx, cl (CL = 31)', 'd3 fa', { edx: 0x80000000, ecx: 0x1f }, { edx: 0xffffffff, flags: 'PF AF SF' }],
  ['sar dl, 7 (OF = 0)', 'c0 fa 07', { edx: 0x40 }, { edx: 0x0, flags: 'CF PF AF ZF' }],
  ['rol eax, 4 (only CF and OF)', 'c1 c0 04', { eax: 0x12345678, flags: 'PF AF ZF SF' }, { eax: 0x23456781, flags: 'CF PF AF ZF SF OF' }],
  ['rol al, cl (CL = 8: CF from the result)', 'd2 c0', { eax: 0x81, ecx: 0x8 }, { eax: 0x81, flags: 'CF' }],
  ['ror eax, cl (CL = 3)', 'd3 c8', { eax: 0x5, ecx: 0x3, flags: 'PF AF ZF SF' }, { eax: 0xa0000000, flags: 'CF PF AF ZF SF OF' }],
  ['rcl eax, 1', 'd1 d0', { eax: 0x40000000, flags: 'CF' }, { eax: 0x80000001, flags: 'OF' }],
  ['rcl bl, cl (CL = 9: a full turn through CF)', 'd2 d3', { ebx: 0x81, ecx: 0x9, flags: 'CF' }, { ebx: 0x81, flags: 'CF' }],
  ['rcl bx, cl (CL = 5)', '66 d3 d3', { ebx: 0x8421, ecx: 0x5, flags: 'CF' }, { ebx: 0x8438, flags: 'OF' }],
  ['rcr eax, cl (CL = 31)', 'd3 d8', { eax: 0x80000003, ecx: 0x1f }, { eax: 0xd, flags: '' }],
  ['rcr dx, cl (CL = 17)', '66 d3 da', { edx: 0x1234, ecx: 0x11, flags: 'CF' }, { edx: 0x1234, flags: 'CF' }],
  ['rcr byte [esi], 3', 'c0 1e 03', { esi: 0x31000, mem: 'f1', flags: 'CF' }, { mem: '7e00000000000000', flags: 'OF' }],
  ['shl dword [esi], cl (CL = 0 still writes)', 'd3 26', { esi: 0x31000, ecx: 0x0, mem: '01020304' }, { mem: '0102030400000000', flags: '' }],
  ['shld eax, ebx, 4', '0f a4 d8 04', { eax: 0x12345678, ebx: 0x9abcdef0 }, { eax: 0x23456789, flags: 'CF AF OF' }],
  ['shld eax, ebx, cl (CL = 0)', '0f a5 d8', { eax: 0x12345678, ebx: 0x9abcdef0, ecx: 0x0, flags: 'CF PF AF ZF SF OF' }, { eax: 0x12345678, flags: 'CF PF AF ZF SF OF' }],
  ['shld ax, bx, cl (CL = 16: source)', '66 0f a5 d8', { eax: 0x1234, ebx: 0xabcd, ecx: 0x10 }, { eax: 0xabcd, flags: 'AF SF' }],
  ['shld ax, bx, cl (CL = 20: source rotated)', '66 0f a5 d8', { eax: 0x1234, ebx: 0xabcd, ecx: 0x14 }, { eax: 0xbcda, flags: 'AF SF' }],
  ['shrd eax, ebx, 8', '0f ac d8 08', { eax: 0x12345678, ebx: 0x9abcdef0 }, { eax: 0xf0123456, flags: 'PF AF SF' }],
  ['shrd ax, bx, cl (CL = 31)', '66 0f ad d8', { eax: 0x1234, ebx: 0x8001, ecx: 0x1f }, { eax: 0x3, flags: 'PF AF' }],
  ['shrd word [esi], dx, 1', '66 0f ac 16 01', { esi: 0x31000, edx: 0x1, mem: '0080' }, { mem: '00c0000000000000', flags: 'PF AF SF' }],
  ['add eax, ebx; shl edx, cl (CL = 0 keeps the flags of ADD)', '01 d8 d3 e2', { eax: 0xffffffff, ebx: 0x1, ecx: 0x0, edx: 0x5 }, { eax: 0x0, edx: 0x5, flags: 'CF PF AF ZF' }],
  ['add eax, ebx; rcl edx, cl (the carry of ADD rotates in)', '01 d8 d3 d2', { eax: 0xffffffff, ebx: 0x1, ecx: 0x2, edx: 0x5 }, { eax: 0x0, edx: 0x16, flags: 'PF AF ZF' }],
];

describe('shift: ROL ROR RCL RCR SHL SHR SAR SHLD SHRD', () => {
  itMatchesHost(CASES);
});
