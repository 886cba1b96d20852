// CLC STC CMC CLD STD (SDM Vol. 2A/2B), also after an instruction whose flags are still
// pending in the JIT (jit/flags.ts).
import { describe } from 'vitest';
import { itMatchesHost, type HostCase } from './integer-cases.ts';

const CASES: HostCase[] = [
  ['stc', 'f9', { flags: '' }, { flags: 'CF' }],
  ['clc', 'f8', { flags: 'CF PF AF ZF SF OF' }, { flags: 'PF AF ZF SF OF' }],
  ['cmc', 'f5', { flags: '' }, { flags: 'CF' }],
  ['cmc (CF set)', 'f5', { flags: 'CF' }, { flags: '' }],
  ['add eax, ebx; cmc (complements the pending carry)', '01 d8 f5', { eax: 0xffffffff, ebx: 0x1 }, { eax: 0x0, flags: 'PF AF ZF' }],
  ['std', 'fd', { flags: '' }, { flags: 'DF' }],
  ['cld', 'fc', { flags: 'DF' }, { flags: '' }],
  ['sub eax, ebx; std; cld (DF and the pending flags stay apart)', '29 d8 fd fc', { eax: 0x1, ebx: 0x2 }, { eax: 0xffffffff, flags: 'CF PF AF SF' }],
];

describe('flagops: CLC STC CMC CLD STD', () => {
  itMatchesHost(CASES);
});
