// The opcode table: one entry per opcode form, in the SDM's own notation (Vol. 2D,
// Appendix A "Opcode Map"). The decoder, the JIT's dispatch and docs/conformance.md all read
// this table; nothing else lists opcodes.
//
// The entry shapes and the operand notation are in opcode-form.ts.

export type { Operand, OpcodeForm, OpcodeGroup, OpcodeEntry, PrefixSelect, MandatoryPrefix } from './opcode-form.ts';
export { isGroup, isPrefixSelect } from './opcode-form.ts';
import { f, group, withPrefix, isGroup, isPrefixSelect, type MapRow, type OpcodeEntry, type OpcodeForm, type OpcodeGroup, type Operand } from './opcode-form.ts';
import { X87_ESCAPES } from './opcodes-x87.ts';
import { SSE_FORMS } from './opcodes-sse.ts';

const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'] as const;
const SHIFTS = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'] as const;
/** Condition codes in encoding order (SDM Vol. 1 Appendix B). */
export const CONDITIONS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'] as const;

function aluRow(base: number, m: string, into: Record<number, OpcodeEntry>): void {
  const lock = m === 'cmp' ? {} : { lockable: true as const };
  into[base + 0] = f(m, ['Eb', 'Gb'], lock);
  into[base + 1] = f(m, ['Ev', 'Gv'], lock);
  into[base + 2] = f(m, ['Gb', 'Eb']);
  into[base + 3] = f(m, ['Gv', 'Ev']);
  into[base + 4] = f(m, ['AL', 'Ib']);
  into[base + 5] = f(m, ['rAX', 'Iz']);
}

function buildOneByte(): Record<number, OpcodeEntry> {
  const t: Record<number, OpcodeEntry> = {};
  ALU.forEach((m, i) => aluRow(i * 8, m, t));
  t[0x06] = f('push', ['ES'], { no64: true });
  t[0x07] = f('pop', ['ES'], { no64: true });
  t[0x0e] = f('push', ['CS'], { no64: true });
  t[0x16] = f('push', ['SS'], { no64: true });
  t[0x17] = f('pop', ['SS'], { no64: true });
  t[0x1e] = f('push', ['DS'], { no64: true });
  t[0x1f] = f('pop', ['DS'], { no64: true });
  t[0x27] = f('daa', [], { no64: true });
  t[0x2f] = f('das', [], { no64: true });
  t[0x37] = f('aaa', [], { no64: true });
  t[0x3f] = f('aas', [], { no64: true });
  for (let r = 0; r < 8; r++) {
    t[0x40 + r] = f('inc', ['Zv'], { no64: true });
    t[0x48 + r] = f('dec', ['Zv'], { no64: true });
    t[0x50 + r] = f('push', ['Zv'], { d64: true });
    t[0x58 + r] = f('pop', ['Zv'], { d64: true });
    t[0x90 + r] = r === 0 ? f('nop') : f('xchg', ['Zv', 'rAX']);
    t[0xb0 + r] = f('mov', ['Zb', 'Ib']);
    t[0xb8 + r] = f('mov', ['Zv', 'Iv']);
  }
  t[0x60] = f('pusha', [], { no64: true });
  t[0x61] = f('popa', [], { no64: true });
  t[0x62] = f('bound', ['Gv', 'Ma'], { no64: true });
  t[0x63] = f('arpl', ['Ew', 'Gw'], { no64: true });
  t[0x68] = f('push', ['Iz'], { d64: true });
  t[0x69] = f('imul', ['Gv', 'Ev', 'Iz']);
  t[0x6a] = f('push', ['Ibs'], { d64: true });
  t[0x6b] = f('imul', ['Gv', 'Ev', 'Ibs']);
  t[0x6c] = f('ins', ['Yb', 'DX'], { rep: 'rep' });
  t[0x6d] = f('ins', ['Yv', 'DX'], { rep: 'rep' });
  t[0x6e] = f('outs', ['DX', 'Xb'], { rep: 'rep' });
  t[0x6f] = f('outs', ['DX', 'Xv'], { rep: 'rep' });
  CONDITIONS.forEach((c, i) => {
    t[0x70 + i] = f('j' + c, ['Jb']);
  });
  const grp1 = (a: Operand, b: Operand, extra: Partial<OpcodeForm> = {}): OpcodeGroup =>
    group('1', ALU.map((m) => f(m, [a, b], m === 'cmp' ? extra : { ...extra, lockable: true })));
  t[0x80] = grp1('Eb', 'Ib');
  t[0x81] = grp1('Ev', 'Iz');
  t[0x82] = grp1('Eb', 'Ib', { no64: true });
  t[0x83] = grp1('Ev', 'Ibs');
  t[0x84] = f('test', ['Eb', 'Gb']);
  t[0x85] = f('test', ['Ev', 'Gv']);
  t[0x86] = f('xchg', ['Eb', 'Gb'], { lockable: true });
  t[0x87] = f('xchg', ['Ev', 'Gv'], { lockable: true });
  t[0x88] = f('mov', ['Eb', 'Gb']);
  t[0x89] = f('mov', ['Ev', 'Gv']);
  t[0x8a] = f('mov', ['Gb', 'Eb']);
  t[0x8b] = f('mov', ['Gv', 'Ev']);
  t[0x8c] = f('mov', ['Ev', 'Sw']);
  t[0x8d] = f('lea', ['Gv', 'M']);
  t[0x8e] = f('mov', ['Sw', 'Ew']);
  t[0x8f] = group('1a', [f('pop', ['Ev'], { d64: true })]);
  t[0x98] = f('cbw'); // CBW/CWDE/CDQE by operand size
  t[0x99] = f('cwd'); // CWD/CDQ/CQO by operand size
  t[0x9a] = f('callf', ['Ap'], { no64: true });
  t[0x9b] = f('fwait');
  t[0x9c] = f('pushf', [], { d64: true });
  t[0x9d] = f('popf', [], { d64: true });
  t[0x9e] = f('sahf');
  t[0x9f] = f('lahf');
  t[0xa0] = f('mov', ['AL', 'Ob']);
  t[0xa1] = f('mov', ['rAX', 'Ov']);
  t[0xa2] = f('mov', ['Ob', 'AL']);
  t[0xa3] = f('mov', ['Ov', 'rAX']);
  t[0xa4] = f('movs', ['Yb', 'Xb'], { rep: 'rep' });
  t[0xa5] = f('movs', ['Yv', 'Xv'], { rep: 'rep' });
  t[0xa6] = f('cmps', ['Xb', 'Yb'], { rep: 'repe' });
  t[0xa7] = f('cmps', ['Xv', 'Yv'], { rep: 'repe' });
  t[0xa8] = f('test', ['AL', 'Ib']);
  t[0xa9] = f('test', ['rAX', 'Iz']);
  t[0xaa] = f('stos', ['Yb', 'AL'], { rep: 'rep' });
  t[0xab] = f('stos', ['Yv', 'rAX'], { rep: 'rep' });
  t[0xac] = f('lods', ['AL', 'Xb'], { rep: 'rep' });
  t[0xad] = f('lods', ['rAX', 'Xv'], { rep: 'rep' });
  t[0xae] = f('scas', ['AL', 'Yb'], { rep: 'repe' });
  t[0xaf] = f('scas', ['rAX', 'Yv'], { rep: 'repe' });
  const grp2 = (a: Operand, b: Operand): OpcodeGroup => group('2', SHIFTS.map((m) => f(m === 'sal' ? 'shl' : m, [a, b])));
  t[0xc0] = grp2('Eb', 'Ib');
  t[0xc1] = grp2('Ev', 'Ib');
  t[0xc2] = f('ret', ['Iw'], { d64: true });
  t[0xc3] = f('ret', [], { d64: true });
  t[0xc4] = f('les', ['Gz', 'Mp'], { no64: true });
  t[0xc5] = f('lds', ['Gz', 'Mp'], { no64: true });
  t[0xc6] = group('11', [f('mov', ['Eb', 'Ib'])]);
  t[0xc7] = group('11', [f('mov', ['Ev', 'Iz'])]);
  t[0xc8] = f('enter', ['Iw', 'Ib'], { d64: true });
  t[0xc9] = f('leave', [], { d64: true });
  t[0xca] = f('retf', ['Iw']);
  t[0xcb] = f('retf');
  t[0xcc] = f('int3');
  t[0xcd] = f('int', ['Ib']);
  t[0xce] = f('into', [], { no64: true });
  t[0xcf] = f('iret');
  t[0xd0] = grp2('Eb', '1');
  t[0xd1] = grp2('Ev', '1');
  t[0xd2] = grp2('Eb', 'CL');
  t[0xd3] = grp2('Ev', 'CL');
  t[0xd4] = f('aam', ['Ib'], { no64: true });
  t[0xd5] = f('aad', ['Ib'], { no64: true });
  t[0xd6] = f('salc', [], { no64: true });
  t[0xd7] = f('xlat');
  // x87 escapes D8-DF (SDM Vol. 2D A.4): their own table, core/cpu/opcodes-x87.ts.
  for (const [op, entry] of Object.entries(X87_ESCAPES)) t[Number(op)] = entry;
  t[0xe0] = f('loopne', ['Jb'], { d64: true });
  t[0xe1] = f('loope', ['Jb'], { d64: true });
  t[0xe2] = f('loop', ['Jb'], { d64: true });
  t[0xe3] = f('jcxz', ['Jb'], { d64: true });
  t[0xe4] = f('in', ['AL', 'Ib']);
  t[0xe5] = f('in', ['eAX', 'Ib']);
  t[0xe6] = f('out', ['Ib', 'AL']);
  t[0xe7] = f('out', ['Ib', 'eAX']);
  t[0xe8] = f('call', ['Jz'], { d64: true });
  t[0xe9] = f('jmp', ['Jz'], { d64: true });
  t[0xea] = f('jmpf', ['Ap'], { no64: true });
  t[0xeb] = f('jmp', ['Jb'], { d64: true });
  t[0xec] = f('in', ['AL', 'DX']);
  t[0xed] = f('in', ['eAX', 'DX']);
  t[0xee] = f('out', ['DX', 'AL']);
  t[0xef] = f('out', ['DX', 'eAX']);
  t[0xf1] = f('int1');
  t[0xf4] = f('hlt');
  t[0xf5] = f('cmc');
  const grp3 = (s: 'Eb' | 'Ev', imm: Operand): OpcodeGroup =>
    group('3', [
      f('test', [s, imm]),
      f('test', [s, imm]),
      f('not', [s], { lockable: true }),
      f('neg', [s], { lockable: true }),
      f('mul', [s]),
      f('imul', [s]),
      f('div', [s]),
      f('idiv', [s]),
    ]);
  t[0xf6] = grp3('Eb', 'Ib');
  t[0xf7] = grp3('Ev', 'Iz');
  t[0xf8] = f('clc');
  t[0xf9] = f('stc');
  t[0xfa] = f('cli');
  t[0xfb] = f('sti');
  t[0xfc] = f('cld');
  t[0xfd] = f('std');
  t[0xfe] = group('4', [f('inc', ['Eb'], { lockable: true }), f('dec', ['Eb'], { lockable: true })]);
  t[0xff] = group('5', [
    f('inc', ['Ev'], { lockable: true }),
    f('dec', ['Ev'], { lockable: true }),
    f('call', ['Ev'], { d64: true }),
    f('callf', ['Mp']),
    f('jmp', ['Ev'], { d64: true }),
    f('jmpf', ['Mp']),
    f('push', ['Ev'], { d64: true }),
  ]);
  return t;
}

function buildTwoByte(): Record<number, OpcodeEntry> {
  const t: Record<number, OpcodeEntry> = {};
  t[0x00] = group('6', [
    f('sldt', ['Ew']),
    f('str', ['Ew']),
    f('lldt', ['Ew']),
    f('ltr', ['Ew']),
    f('verr', ['Ew']),
    f('verw', ['Ew']),
  ]);
  t[0x01] = group(
    '7',
    [
      f('sgdt', ['Ms']),
      f('sidt', ['Ms']),
      f('lgdt', ['Ms']),
      f('lidt', ['Ms']),
      f('smsw', ['Ew']),
      undefined,
      f('lmsw', ['Ew']),
      f('invlpg', ['M']),
    ],
    {
      4: Array(8).fill(f('smsw', ['Rv'])),
      6: Array(8).fill(f('lmsw', ['Ew'])),
      // Register forms of group 7 (SDM Vol. 2D Table A-6, "11B" rows). MONITOR/MWAIT are
      // not implemented and not advertised: #UD. VMCALL (Intel) and VMMCALL (AMD) are KVM
      // hypercalls whatever the vendor, as KVM makes them (core/kvm/hypercall.ts).
      0: [undefined, f('vmcall')],
      3: [undefined, f('vmmcall')],
      1: [undefined, undefined, f('clac', [], { feature: 'smap' }), f('stac', [], { feature: 'smap' })],
      2: [f('xgetbv', [], { feature: 'xsave' }), f('xsetbv', [], { feature: 'xsave' })],
      5: [undefined, undefined, undefined, undefined, undefined, undefined, f('rdpkru', [], { feature: 'pku' }), f('wrpkru', [], { feature: 'pku' })],
      // SWAPGS exists in 64-bit mode only; the emitter raises #UD elsewhere (SDM Vol. 2B SWAPGS).
      7: [f('swapgs', [], { feature: 'lm' }), f('rdtscp', [], { feature: 'rdtscp' })],
    },
  );
  t[0x02] = f('lar', ['Gv', 'Ew']);
  t[0x03] = f('lsl', ['Gv', 'Ew']);
  t[0x05] = f('syscall', [], { feature: 'syscall' });
  t[0x06] = f('clts');
  t[0x07] = f('sysret', [], { feature: 'syscall' });
  t[0x08] = f('invd');
  t[0x09] = f('wbinvd');
  t[0x0b] = f('ud2');
  t[0x0d] = f('nop', ['Ev']); // PREFETCHW group on AMD; a hint, executes as NOP
  for (let i = 0x18; i <= 0x1f; i++) t[i] = f('nop', ['Ev']); // hint NOPs (SDM Vol. 2B NOP: 0F 1F /0)
  t[0x20] = f('mov', ['Rd', 'Cd']);
  t[0x21] = f('mov', ['Rd', 'Dd']);
  t[0x22] = f('mov', ['Cd', 'Rd']);
  t[0x23] = f('mov', ['Dd', 'Rd']);
  t[0x30] = f('wrmsr');
  t[0x31] = f('rdtsc');
  t[0x32] = f('rdmsr');
  t[0x34] = f('sysenter', [], { feature: 'sep' });
  t[0x35] = f('sysexit', [], { feature: 'sep' });
  CONDITIONS.forEach((c, i) => {
    t[0x40 + i] = f('cmov' + c, ['Gv', 'Ev'], { feature: 'cmov' });
    t[0x80 + i] = f('j' + c, ['Jz'], { d64: true });
    t[0x90 + i] = f('set' + c, ['Eb']);
  });
  t[0xa0] = f('push', ['FS'], { d64: true });
  t[0xa1] = f('pop', ['FS'], { d64: true });
  t[0xa2] = f('cpuid');
  t[0xa3] = f('bt', ['Ev', 'Gv']);
  t[0xa4] = f('shld', ['Ev', 'Gv', 'Ib']);
  t[0xa5] = f('shld', ['Ev', 'Gv', 'CL']);
  t[0xa8] = f('push', ['GS'], { d64: true });
  t[0xa9] = f('pop', ['GS'], { d64: true });
  t[0xab] = f('bts', ['Ev', 'Gv'], { lockable: true });
  t[0xac] = f('shrd', ['Ev', 'Gv', 'Ib']);
  t[0xad] = f('shrd', ['Ev', 'Gv', 'CL']);
  // Group 15 (SDM Vol. 2D Table A-6): the state-management memory forms and the fences
  // without a prefix; RDFSBASE RDGSBASE WRFSBASE WRGSBASE are register forms with F3.
  const any8 = (form: OpcodeForm): OpcodeForm[] => Array(8).fill(form);
  t[0xae] = group(
    '15',
    [
      f('fxsave', ['M'], { feature: 'fxsr' }),
      f('fxrstor', ['M'], { feature: 'fxsr' }),
      f('ldmxcsr', ['Md'], { feature: 'sse' }),
      f('stmxcsr', ['Md'], { feature: 'sse' }),
      f('xsave', ['M'], { feature: 'xsave' }),
      f('xrstor', ['M'], { feature: 'xsave' }),
      f('xsaveopt', ['M'], { feature: 'xsaveopt' }),
      f('clflush', ['Mb'], { feature: 'clfsh' }),
    ],
    { 5: any8(f('lfence', [], { feature: 'sse2' })), 6: any8(f('mfence', [], { feature: 'sse2' })), 7: any8(f('sfence', [], { feature: 'sse' })) },
  );
  const fsgs = (m: string): OpcodeForm[] => any8(f(m, ['Ry'], { feature: 'fsgsbase' }));
  withPrefix(t, 0xae, 'F3', group('15', [], { 0: fsgs('rdfsbase'), 1: fsgs('rdgsbase'), 2: fsgs('wrfsbase'), 3: fsgs('wrgsbase') }));
  t[0xaf] = f('imul', ['Gv', 'Ev']);
  t[0xb0] = f('cmpxchg', ['Eb', 'Gb'], { lockable: true });
  t[0xb1] = f('cmpxchg', ['Ev', 'Gv'], { lockable: true });
  t[0xb2] = f('lss', ['Gz', 'Mp']);
  t[0xb3] = f('btr', ['Ev', 'Gv'], { lockable: true });
  t[0xb4] = f('lfs', ['Gz', 'Mp']);
  t[0xb5] = f('lgs', ['Gz', 'Mp']);
  t[0xb6] = f('movzx', ['Gv', 'Eb']);
  t[0xb7] = f('movzx', ['Gv', 'Ew']);
  t[0xb9] = f('ud1', ['Gv', 'Ev']);
  t[0xba] = group('8', [
    undefined,
    undefined,
    undefined,
    undefined,
    f('bt', ['Ev', 'Ib']),
    f('bts', ['Ev', 'Ib'], { lockable: true }),
    f('btr', ['Ev', 'Ib'], { lockable: true }),
    f('btc', ['Ev', 'Ib'], { lockable: true }),
  ]);
  t[0xbb] = f('btc', ['Ev', 'Gv'], { lockable: true });
  t[0xbc] = f('bsf', ['Gv', 'Ev']);
  t[0xbd] = f('bsr', ['Gv', 'Ev']);
  // F3 0F B8/BC/BD (SDM Vol. 2B POPCNT, TZCNT; Vol. 2A LZCNT): without F3, B8 is #UD (JMPE
  // on IA-64) and BC/BD stay BSF/BSR.
  withPrefix(t, 0xb8, 'F3', f('popcnt', ['Gv', 'Ev'], { feature: 'popcnt' }));
  withPrefix(t, 0xbc, 'F3', f('tzcnt', ['Gv', 'Ev'], { feature: 'bmi1' }));
  withPrefix(t, 0xbd, 'F3', f('lzcnt', ['Gv', 'Ev'], { feature: 'abm' }));
  t[0xbe] = f('movsx', ['Gv', 'Eb']);
  t[0xbf] = f('movsx', ['Gv', 'Ew']);
  t[0xc0] = f('xadd', ['Eb', 'Gb'], { lockable: true });
  t[0xc1] = f('xadd', ['Ev', 'Gv'], { lockable: true });
  // Group 9 (SDM Vol. 2D Table A-6): CMPXCHG8B, or CMPXCHG16B with REX.W (the emitter reads
  // the operand size); XRSTORS /3, XSAVEC /4, XSAVES /5 (memory forms, REX.W for the 64-bit
  // x87 pointers); the register forms /6 and /7 are RDRAND and RDSEED, and RDPID with F3.
  t[0xc7] = group('9', [
    undefined,
    f('cmpxchg8b', ['Mq'], { lockable: true, feature: 'cx8' }),
    undefined,
    f('xrstors', ['M'], { feature: 'xsaves' }),
    f('xsavec', ['M'], { feature: 'xsavec' }),
    f('xsaves', ['M'], { feature: 'xsaves' }),
  ], {
    6: any8(f('rdrand', ['Rv'], { feature: 'rdrand' })),
    7: any8(f('rdseed', ['Rv'], { feature: 'rdseed' })),
  });
  // RDPID r32 (r64 in 64-bit mode, whatever REX.W; SDM Vol. 2B RDPID): the emitter sizes it.
  withPrefix(t, 0xc7, 'F3', group('9', [], { 7: any8(f('rdpid', ['Ry'], { feature: 'rdpid' })) }));
  for (let r = 0; r < 8; r++) t[0xc8 + r] = f('bswap', ['Zv']);
  return t;
}

/** One-byte opcode map (SDM Vol. 2D Table A-2). Prefix bytes are not entries. */
export const ONE_BYTE: Readonly<Record<number, OpcodeEntry>> = buildOneByte();
/**
 * One-byte opcodes that mean something else in 64-bit mode (SDM Vol. 2D Table A-2, the
 * "o64"/"i64" superscripts): 63 is ARPL outside 64-bit mode and MOVSXD Gv, Ed in it.
 */
export const ONE_BYTE_64: Readonly<Record<number, OpcodeEntry>> = {
  0x63: f('movsxd', ['Gv', 'Ed']),
};

/** Three-byte opcode maps 0F 38 xx and 0F 3A xx (SDM Vol. 2D Tables ). */
function buildThreeByte38(): Record<number, OpcodeEntry> {
  const t: Record<number, OpcodeEntry> = {};
  // INVPCID r32/r64, m128 (SDM Vol. 2A INVPCID): the register is 64-bit in 64-bit mode whatever REX.W.
  withPrefix(t, 0x82, '66', f('invpcid', ['Gy', 'Mdq'], { feature: 'invpcid' }));
  // MOVBE (SDM Vol. 2B): unprefixed, so 66 selects 16 bits; F2 F0/F1 is CRC32 (opcodes-sse.ts).
  withPrefix(t, 0xf0, 'none', f('movbe', ['Gv', 'Mv'], { feature: 'movbe' }));
  withPrefix(t, 0xf1, 'none', f('movbe', ['Mv', 'Gv'], { feature: 'movbe' }));
  // ADCX / ADOX (SDM Vol. 2A): 32 bits, or 64 with REX.W.
  withPrefix(t, 0xf6, '66', f('adcx', ['Gy', 'Ey'], { feature: 'adx' }));
  withPrefix(t, 0xf6, 'F3', f('adox', ['Gy', 'Ey'], { feature: 'adx' }));
  return t;
}
function buildThreeByte3A(): Record<number, OpcodeEntry> {
  return {};
}

/**
 * VEX-encoded forms by map (VEX.mmmmm 1 = 0F, 2 = 0F 38, 3 = 0F 3A; SDM Vol. 2A 2.3.6),
 * each chosen by VEX.pp as a mandatory prefix. The general-purpose VEX instructions (BMI1,
 * BMI2) are here; VEX-encoded SIMD comes with AVX.
 */
function buildVex(): Record<OpcodeMapName, Record<number, OpcodeEntry>> {
  const m38: Record<number, OpcodeEntry> = {};
  const m3a: Record<number, OpcodeEntry> = {};
  const bmi1 = { feature: 'bmi1' };
  const bmi2 = { feature: 'bmi2' };
  // BMI1 (SDM Vol. 2A ANDN, BEXTR, BLSI, BLSMSK, BLSR): VEX.LZ.0F38 with VEX.W selecting 64 bits.
  withPrefix(m38, 0xf2, 'none', f('andn', ['Gy', 'By', 'Ey'], bmi1));
  withPrefix(m38, 0xf3, 'none', group('17', [undefined, f('blsr', ['By', 'Ey'], bmi1), f('blsmsk', ['By', 'Ey'], bmi1), f('blsi', ['By', 'Ey'], bmi1)]));
  withPrefix(m38, 0xf7, 'none', f('bextr', ['Gy', 'Ey', 'By'], bmi1));
  // BMI2 (SDM Vol. 2A BZHI, MULX; Vol. 2B PDEP, PEXT, RORX, SARX/SHLX/SHRX).
  withPrefix(m38, 0xf5, 'none', f('bzhi', ['Gy', 'Ey', 'By'], bmi2));
  withPrefix(m38, 0xf5, 'F2', f('pdep', ['Gy', 'By', 'Ey'], bmi2));
  withPrefix(m38, 0xf5, 'F3', f('pext', ['Gy', 'By', 'Ey'], bmi2));
  withPrefix(m38, 0xf6, 'F2', f('mulx', ['Gy', 'By', 'Ey'], bmi2));
  withPrefix(m38, 0xf7, '66', f('shlx', ['Gy', 'Ey', 'By'], bmi2));
  withPrefix(m38, 0xf7, 'F3', f('sarx', ['Gy', 'Ey', 'By'], bmi2));
  withPrefix(m38, 0xf7, 'F2', f('shrx', ['Gy', 'Ey', 'By'], bmi2));
  withPrefix(m3a, 0xf0, 'F2', f('rorx', ['Gy', 'Ey', 'Ib'], bmi2));
  return { '0F': {}, '0F38': m38, '0F3A': m3a };
}

type OpcodeMapName = MapRow['map'];

const twoByte = buildTwoByte();
const threeByte38 = buildThreeByte38();
const threeByte3A = buildThreeByte3A();
const vexMaps = buildVex();
const legacyMaps: Record<OpcodeMapName, Record<number, OpcodeEntry>> = { '0F': twoByte, '0F38': threeByte38, '0F3A': threeByte3A };
for (const row of SSE_FORMS) withPrefix(row.vex ? vexMaps[row.map] : legacyMaps[row.map], row.opcode, row.prefix, row.entry);

/** 90 with REX.B: XCHG r8, rAX, not NOP (SDM Vol. 2B XCHG "90+rd"; the decoder picks it). */
export const XCHG_90_REX_B: OpcodeForm = f('xchg', ['Zv', 'rAX']);

/** Two-byte opcode map, 0F xx (SDM Vol. 2D Table A-3). */
export const TWO_BYTE: Readonly<Record<number, OpcodeEntry>> = twoByte;
/** Three-byte opcode map 0F 38 xx (SDM Vol. 2D Table A-4). */
export const THREE_BYTE_38: Readonly<Record<number, OpcodeEntry>> = threeByte38;
/** Three-byte opcode map 0F 3A xx (SDM Vol. 2D Table A-5). */
export const THREE_BYTE_3A: Readonly<Record<number, OpcodeEntry>> = threeByte3A;
/** VEX maps by VEX.mmmmm (1, 2, 3). */
export const VEX_MAPS: Readonly<Record<1 | 2 | 3, Readonly<Record<number, OpcodeEntry>>>> = {
  1: vexMaps['0F'],
  2: vexMaps['0F38'],
  3: vexMaps['0F3A'],
};

/** Every distinct form in the table, with its opcode, for the conformance table and tests. */
export function allForms(): { opcode: string; form: OpcodeForm }[] {
  const out: { opcode: string; form: OpcodeForm }[] = [];
  const hex = (n: number): string => n.toString(16).padStart(2, '0').toUpperCase();
  const walkEntry = (op: string, e: OpcodeForm | OpcodeGroup): void => {
    if (isGroup(e)) {
      e.byReg.forEach((form, reg) => form && out.push({ opcode: `${op} /${reg}`, form }));
      for (const [reg, byRm] of Object.entries(e.byRegRm ?? {}))
        byRm.forEach((form, rm) => form && out.push({ opcode: `${op} /${reg} rm=${rm}`, form }));
    } else out.push({ opcode: op, form: e });
  };
  const walk = (prefix: string, map: Readonly<Record<number, OpcodeEntry>>): void => {
    for (const [k, e] of Object.entries(map)) {
      const op = prefix + hex(Number(k));
      if (isPrefixSelect(e)) {
        for (const [p, sub] of Object.entries(e.mandatory)) if (sub) walkEntry(p === 'none' ? op : `${p} ${op}`, sub);
      } else walkEntry(op, e);
    }
  };
  walk('', ONE_BYTE);
  walk('(64-bit) ', ONE_BYTE_64);
  walk('0F ', TWO_BYTE);
  walk('0F 38 ', THREE_BYTE_38);
  walk('0F 3A ', THREE_BYTE_3A);
  walk('VEX.0F ', VEX_MAPS[1]);
  walk('VEX.0F38 ', VEX_MAPS[2]);
  walk('VEX.0F3A ', VEX_MAPS[3]);
  return out;
}
