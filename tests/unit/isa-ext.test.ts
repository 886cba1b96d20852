// The integer instruction extensions against the host CPU (isa-ext-cases.ts): POPCNT LZCNT
// TZCNT MOVBE CMPXCHG16B; BMI1 (ANDN BEXTR BLSI BLSMSK BLSR), BMI2 (BZHI MULX PDEP PEXT RORX
// SARX SHLX SHRX), ADX (ADCX ADOX). Then what the host cannot show deterministically: RDRAND
// RDSEED RDPID RDTSCP, CPUID, and #UD when CPUID does not enumerate a feature.
import { describe, expect, it } from 'vitest';
import { CpuidModel, Feature, supportedCpuid, type CpuidFeature } from '../../core/cpu/cpuid.ts';
import type { KvmCpuidEntry2 } from '../../core/kvm/types.ts';
import { flagNames } from './integer-cases.ts';
import { CASES_32, CASES_64 } from './isa-ext-cases.ts';
import { itMatchesHostIsa, runIsa, type RunOptions } from './isa-ext-lib.ts';

const UD = 6;
/** IA32_TSC_AUX (SDM Vol. 4 Table 2-2). */
const MSR_TSC_AUX = 0xc0000103;
const STATUS = 0x8d5;
const JUNK = 0xdeadbeefcafef00dn;

describe('integer extensions in 64-bit mode, as the host CPU runs them', () => {
  itMatchesHostIsa(64, CASES_64);
});

describe('integer extensions in 32-bit mode, as the host CPU runs them', () => {
  itMatchesHostIsa(32, CASES_32);
});

const REGS = ['eax', 'ebx', 'ecx', 'edx'] as const;

/** The supported CPUID table with one feature bit cleared. */
function cpuidWithout(f: CpuidFeature): KvmCpuidEntry2[] {
  return supportedCpuid().map((e) => {
    if (e.function !== f.leaf || e.index !== (f.subleaf ?? 0)) return e;
    const reg = REGS[f.reg];
    return { ...e, [reg]: (e[reg] & ~f.bit) >>> 0 };
  });
}

describe('CPUID enumerates the extensions (SDM Vol. 2A CPUID, Tables 3-8 and 3-10)', () => {
  const m = new CpuidModel();
  it.each([
    ['CMPXCHG16B', 1, 0, 2, 13],
    ['MOVBE', 1, 0, 2, 22],
    ['POPCNT', 1, 0, 2, 23],
    ['RDRAND', 1, 0, 2, 30],
    ['BMI1', 7, 0, 1, 3],
    ['BMI2', 7, 0, 1, 8],
    ['RDSEED', 7, 0, 1, 18],
    ['ADX', 7, 0, 1, 19],
    ['RDPID', 7, 0, 2, 22],
    ['LZCNT (ABM)', 0x80000001, 0, 2, 5],
    ['RDTSCP', 0x80000001, 0, 3, 27],
  ] as const)('%s: leaf %i.%i register %i bit %i', (_name, leaf, sub, reg, bit) => {
    expect((m.query(leaf, sub)[reg] >>> bit) & 1).toBe(1);
  });
});

describe('#UD when CPUID does not enumerate the feature', () => {
  it.each([
    ['POPCNT', Feature.POPCNT, 'f3 0f b8 c3'],
    ['MOVBE', Feature.MOVBE, '0f 38 f0 06'],
    ['ANDN (BMI1)', Feature.BMI1, 'c4 e2 60 f2 c1'],
    ['BLSR (BMI1)', Feature.BMI1, 'c4 e2 78 f3 cb'],
    ['BZHI (BMI2)', Feature.BMI2, 'c4 e2 60 f5 c1'],
    ['RORX (BMI2)', Feature.BMI2, 'c4 e3 7b f0 c3 04'],
    ['ADCX', Feature.ADX, '66 0f 38 f6 c3'],
    ['RDRAND', Feature.RDRAND, '0f c7 f0'],
    ['RDSEED', Feature.RDSEED, '0f c7 f8'],
    ['RDPID', Feature.RDPID, 'f3 0f c7 f8'],
    ['CMPXCHG16B', Feature.CX16, '48 0f c7 0e'],
  ])('%s', (_name, feature, code) => {
    const r = runIsa(64, code, { rsi: 0x31000n, rax: 1n }, { cpuid: cpuidWithout(feature) });
    expect(r.fault).toBe(UD);
    expect(r.regs.rax).toBe(1n);
  });

  // F3 0F BD / F3 0F BC are REP BSR / REP BSF on a CPU without LZCNT / TZCNT (SDM Vol. 2A LZCNT,
  // Vol. 2B TZCNT, "Operation" notes): a zero source leaves the destination and sets ZF.
  it.each([
    ['LZCNT without ABM is BSR', Feature.ABM, 'f3 0f bd c3', 16n],
    ['TZCNT without BMI1 is BSF', Feature.BMI1, 'f3 0f bc c3', 4n],
  ])('%s', (_name, feature, code, index) => {
    const cpuid = cpuidWithout(feature);
    expect(runIsa(64, code, { rax: JUNK, rbx: 0x10010n }, { cpuid }).regs.rax).toBe(index);
    const zero = runIsa(64, code, { rax: JUNK, rbx: 0n }, { cpuid });
    expect(zero.regs.rax).toBe(JUNK);
    expect(zero.eflags & 0x41).toBe(0x40); // ZF set, CF not (LZCNT/TZCNT would set CF)
  });
});

describe('VEX in real-address mode (SDM Vol. 2A 2.5: VEX-encoded GPR instructions are #UD there)', () => {
  it('andn is #UD; a register-form C4 is LES, which needs memory: #UD either way', () => {
    expect(runIsa(16, 'c4 e2 60 f2 c1', { rax: 1n }).fault).toBe(UD);
  });
  it('popcnt (legacy-encoded) runs in real mode', () => {
    expect(runIsa(16, 'f3 0f b8 c3', { rbx: 0x7n }).regs.rax).toBe(3n);
  });
});

describe('RDRAND and RDSEED (SDM Vol. 2B): a random value, CF = 1, OF SF ZF AF PF cleared', () => {
  it.each([
    ['rdrand ax', '66 0f c7 f0', 2],
    ['rdrand eax', '0f c7 f0', 4],
    ['rdrand rax', '48 0f c7 f0', 8],
    ['rdseed ax', '66 0f c7 f8', 2],
    ['rdseed eax', '0f c7 f8', 4],
    ['rdseed rax', '48 0f c7 f8', 8],
  ])('%s', (_name, code, size) => {
    const a = runIsa(64, code, { rax: JUNK, flags: 'PF AF ZF SF OF' });
    expect(a.fault).toBeUndefined();
    expect(flagNames(a.eflags & STATUS)).toBe('CF');
    // 16 bits merge into RAX; 32 bits zero-extend (SDM Vol. 1 3.4.1.1).
    if (size === 2) expect(a.regs.rax >> 16n).toBe(JUNK >> 16n);
    if (size === 4) expect(a.regs.rax >> 32n).toBe(0n);
    if (size === 8) expect(a.regs.rax).not.toBe(runIsa(64, code, { rax: JUNK }).regs.rax); // equal with probability 2^-64
  });

  it('rdseed r9 (REX.B) leaves RAX', () => {
    const r = runIsa(64, '49 0f c7 f9', { rax: JUNK, r9: 0n });
    expect(r.regs.rax).toBe(JUNK);
    expect(flagNames(r.eflags & STATUS)).toBe('CF');
  });

  it('rdrand eax in 32-bit mode', () => {
    const r = runIsa(32, '0f c7 f0', { flags: 'ZF' });
    expect(flagNames(r.eflags & STATUS)).toBe('CF');
    expect(r.regs.rax >> 32n).toBe(0n);
  });
});

describe('RDPID and RDTSCP read IA32_TSC_AUX (SDM Vol. 2B RDPID, RDTSCP)', () => {
  const aux: RunOptions = { setup: (vm) => vm.vcpu.setMsrs([{ index: MSR_TSC_AUX, data: 0x12345n }]) };

  it('rdpid rax: all 64 bits in 64-bit mode, no REX.W needed', () => {
    const r = runIsa(64, 'f3 0f c7 f8', { rax: JUNK, flags: 'CF ZF' }, aux);
    expect(r.regs.rax).toBe(0x12345n);
    expect(flagNames(r.eflags & STATUS)).toBe('CF ZF');
  });

  it('rdpid r11', () => {
    expect(runIsa(64, 'f3 41 0f c7 fb', { r11: JUNK }, aux).regs.r11).toBe(0x12345n);
  });

  it('rdpid eax in 32-bit mode', () => {
    expect(runIsa(32, 'f3 0f c7 f8', { rax: 0xffffffffn }, aux).regs.rax).toBe(0x12345n);
  });

  it('without F3, 0F C7 /7 with a register is RDSEED', () => {
    const r = runIsa(64, '0f c7 f8', { rax: JUNK }, aux);
    expect(flagNames(r.eflags & STATUS)).toBe('CF');
  });

  it('rdtscp: EDX:EAX = TSC, ECX = TSC_AUX, upper halves cleared', () => {
    const r = runIsa(64, '0f 01 f9', { rax: JUNK, rcx: JUNK, rdx: JUNK }, aux);
    expect(r.regs.rcx).toBe(0x12345n);
    expect(r.regs.rax >> 32n).toBe(0n);
    expect(r.regs.rdx >> 32n).toBe(0n);
  });
});
