// The 64-bit forms of the integer families (REX.W and 32-bit operands in 64-bit mode): the
// 128-bit products and dividends, 65-bit rotates through CF, 6-bit shift counts, signed
// 64-bit bit offsets, CMPXCHG16B, and which 32-bit writes zero-extend. Values recorded on the
// host CPU with a 64-bit build of the native runner.
import { describe } from 'vitest';
import { itMatchesHost64, type HostCase64 } from './integer-cases.ts';

const CASES: HostCase64[] = [
  ['mul rbx', '48 f7 e3', { rax: 0x8000000000000001n, rbx: 0x6n }, { rax: 0x6n, rdx: 0x3n, flags: 'CF OF' }],
  ['mul rbx (largest product)', '48 f7 e3', { rax: 0xffffffffffffffffn, rbx: 0xffffffffffffffffn, flags: 'PF ZF SF' }, { rax: 0x1n, rdx: 0xfffffffffffffffen, flags: 'CF PF ZF SF OF' }],
  ['imul rbx', '48 f7 eb', { rax: 0x8000000000000001n, rbx: 0x6n }, { rax: 0x6n, rdx: 0xfffffffffffffffdn, flags: 'CF OF' }],
  ['imul rbx (fits)', '48 f7 eb', { rax: 0xffffffffffffffffn, rbx: 0x7fffffffffffffffn }, { rax: 0x8000000000000001n, rdx: 0xffffffffffffffffn, flags: '' }],
  ['imul rbx, rcx', '48 0f af d9', { rbx: 0x4000000000000000n, rcx: 0x2n }, { rbx: 0x8000000000000000n, flags: 'CF OF' }],
  ['imul rax, rbx, -3', '48 6b c3 fd', { rbx: 0x2aaaaaaaaaaaaaaan }, { rax: 0x8000000000000002n, flags: '' }],
  ['div rbx (128-bit dividend)', '48 f7 f3', { rdx: 0x3n, rax: 0x1234n, rbx: 0x7n }, { rax: 0x6db6db6db6db7050n, rdx: 0x4n, flags: 'AF' }],
  ['div rbx (quotient overflow)', '48 f7 f3', { rdx: 0x7n, rax: 0x0n, rbx: 0x7n }, { fault: 0, rax: 0x0n, rdx: 0x7n, flags: '' }],
  ['idiv rbx (negative 128-bit dividend)', '48 f7 fb', { rdx: 0xfffffffffffffffen, rax: 0x0n, rbx: 0x7n }, { rax: 0xb6db6db6db6db6dcn, rdx: 0xfffffffffffffffcn, flags: 'AF' }],
  ['idiv rbx (quotient -2^63)', '48 f7 fb', { rdx: 0xffffffffffffffffn, rax: 0x0n, rbx: 0x2n }, { rax: 0x8000000000000000n, rdx: 0x0n, flags: 'AF' }],
  ['idiv rbx (quotient 2^63 overflows)', '48 f7 fb', { rdx: 0x1n, rax: 0x0n, rbx: 0x2n }, { fault: 0, rax: 0x0n, rdx: 0x1n, flags: '' }],
  ['idiv rbx (-2^63 / -1)', '48 f7 fb', { rdx: 0xffffffffffffffffn, rax: 0x8000000000000000n, rbx: 0xffffffffffffffffn }, { fault: 0, rax: 0x8000000000000000n, rdx: 0xffffffffffffffffn, flags: '' }],
  ['div ebx (32-bit results zero-extend)', 'f7 f3', { rdx: 0xdeadbeef00000000n, rax: 0xdeadbeef00000064n, rbx: 0x7n }, { rax: 0xen, rdx: 0x2n, flags: 'AF' }],
  ['rcl rbx, 1', '48 d1 d3', { rbx: 0xc000000000000003n }, { rbx: 0x8000000000000006n, flags: 'CF' }],
  ['rcr rbx, cl (CL = 63)', '48 d3 db', { rbx: 0x8000000000000003n, rcx: 0x3fn, flags: 'CF' }, { rbx: 0xfn, flags: '' }],
  ['rol rbx, cl (CL = 64 masks to 0)', '48 d3 c3', { rbx: 0x8000000000000003n, rcx: 0x40n, flags: 'CF' }, { rbx: 0x8000000000000003n, flags: 'CF' }],
  ['shl ebx, cl (CL = 0 still zero-extends)', 'd3 e3', { rbx: 0xdeadbeef00001234n, rcx: 0x0n }, { rbx: 0x1234n, flags: '' }],
  ['shl rbx, cl (CL = 63)', '48 d3 e3', { rbx: 0x3n, rcx: 0x3fn }, { rbx: 0x8000000000000000n, flags: 'CF PF AF SF' }],
  ['sar rbx, 63', '48 c1 fb 3f', { rbx: 0x8000000000000000n }, { rbx: 0xffffffffffffffffn, flags: 'PF AF SF' }],
  ['shld rbx, rdx, cl (CL = 40)', '48 0f a5 d3', { rbx: 0x123456789abcdefn, rdx: 0xfedcba9876543210n, rcx: 0x28n }, { rbx: 0xabcdeffedcba9876n, flags: 'CF AF SF' }],
  ['shrd rbx, rdx, 63', '48 0f ac d3 3f', { rbx: 0x123456789abcdefn, rdx: 0xfedcba9876543210n }, { rbx: 0xfdb97530eca86420n, flags: 'AF SF' }],
  ['bsf ebx, edx (source 0 keeps all of RBX)', '0f bc da', { rbx: 0xdeadbeef00001234n, rdx: 0x0n }, { rbx: 0xdeadbeef00001234n, flags: 'PF ZF' }],
  ['bsr rbx, rdx', '48 0f bd da', { rdx: 0x8000000000000000n }, { rbx: 0x3fn, flags: 'PF' }],
  ['bts rbx, rcx (offset 100 = bit 36)', '48 0f ab cb', { rbx: 0x1n, rcx: 0x64n }, { rbx: 0x1000000001n, flags: '' }],
  ['bts ebx, ecx (32-bit write zero-extends)', '0f ab cb', { rbx: 0xdeadbeef00000001n, rcx: 0x23n }, { rbx: 0x9n, flags: '' }],
  ['btc qword [rsi], rcx (offset -1 = bit 63 of the qword below)', '48 0f bb 0e', { rsi: 0x31008n, rcx: 0xffffffffffffffffn }, { mem: '00000000000000800000000000000000', flags: '' }],
  ['cmpxchg ebx, ecx (equal: RBX zero-extended, RAX kept)', '0f b1 cb', { rax: 0xdeadbeef00000005n, rbx: 0xdeadbeef00000005n, rcx: 0xdeadbeef00000007n }, { rax: 0xdeadbeef00000005n, rbx: 0x7n, flags: 'PF ZF' }],
  ['cmpxchg ebx, ecx (not equal: RAX loaded, RBX kept)', '0f b1 cb', { rax: 0xdeadbeef00000005n, rbx: 0xdeadbeef00000006n, rcx: 0xdeadbeef00000007n }, { rax: 0x6n, rbx: 0xdeadbeef00000006n, flags: 'CF PF AF SF' }],
  ['xadd rbx, rcx', '48 0f c1 cb', { rbx: 0x7fffffffffffffffn, rcx: 0x1n }, { rbx: 0x8000000000000000n, rcx: 0x7fffffffffffffffn, flags: 'PF AF SF OF' }],
  ['cmpxchg16b [rsi] (equal)', '48 0f c7 0e', { rsi: 0x31000n, rax: 0x1111111111111111n, rdx: 0x2222222222222222n, rbx: 0x3333333333333333n, rcx: 0x4444444444444444n, mem: '11111111111111112222222222222222' }, { rax: 0x1111111111111111n, rdx: 0x2222222222222222n, mem: '33333333333333334444444444444444', flags: 'ZF' }],
  ['cmpxchg16b [rsi] (not equal)', '48 0f c7 0e', { rsi: 0x31000n, rax: 0x1111111111111111n, rdx: 0x2222222222222223n, rbx: 0x3333333333333333n, rcx: 0x4444444444444444n, mem: '11111111111111112222222222222222' }, { rax: 0x1111111111111111n, rdx: 0x2222222222222222n, mem: '11111111111111112222222222222222', flags: '' }],
  ['cmpxchg16b [rsi] (not 16-byte aligned)', '48 0f c7 0e', { rsi: 0x31008n, rax: 0x1n, rdx: 0x2n }, { fault: 13, rax: 0x1n, rdx: 0x2n, flags: '' }],
  ['cmpxchg8b [rsi] (not equal: EDX:EAX zero-extend)', '0f c7 0e', { rsi: 0x31000n, rax: 0xffffffff00000000n, rdx: 0xffffffff00000000n, mem: '0100000002' }, { rax: 0x1n, rdx: 0x2n, flags: '' }],
];

describe('integer families in 64-bit mode', () => {
  itMatchesHost64(CASES);
});
