// The SIMD rows of the opcode table (MMX, SSE through SSE4.2, AES-NI, PCLMULQDQ; SDM Vol. 2D
// Tables ), merged into the 0F, 0F 38 and 0F 3A maps by opcodes.ts by mandatory prefix.
//
// One mnemonic names an operation on both register files: the MMX form (no prefix, P/Q/N
// operands, 64 bits) and the SSE form (66, V/W/U operands, 128 bits) share an emitter,
// which reads the operand letters (jit/emit/sse-*.ts, jit/emit/mmx.ts).
import { f, group, type MandatoryPrefix, type MapRow, type OpcodeForm, type OpcodeMap, type Operand } from './opcode-form.ts';

const rows: MapRow[] = [];

function row(map: OpcodeMap, opcode: number, prefix: MandatoryPrefix, mnemonic: string, operands: Operand[], feature: string): void {
  rows.push({ map, opcode, prefix, entry: f(mnemonic, operands, { feature }) });
}
const r0f = (op: number, p: MandatoryPrefix, m: string, ops: Operand[], feat: string): void => row('0F', op, p, m, ops, feat);
const r38 = (op: number, p: MandatoryPrefix, m: string, ops: Operand[], feat: string): void => row('0F38', op, p, m, ops, feat);
const r3a = (op: number, p: MandatoryPrefix, m: string, ops: Operand[], feat: string): void => row('0F3A', op, p, m, ops, feat);

/** An integer operation with an MMX form (0F xx) and an SSE2 form (66 0F xx). */
function mmxAndSse2(op: number, m: string, mmxFeature = 'mmx'): void {
  r0f(op, 'none', m, ['Pq', 'Qq'], mmxFeature);
  r0f(op, '66', m, ['Vx', 'Wx'], 'sse2');
}

/** A float operation in its four forms: PS (none), PD (66), SS (F3), SD (F2). */
function floatQuad(op: number, base: string): void {
  r0f(op, 'none', base + 'ps', ['Vps', 'Wps'], 'sse');
  r0f(op, '66', base + 'pd', ['Vpd', 'Wpd'], 'sse2');
  r0f(op, 'F3', base + 'ss', ['Vss', 'Wss'], 'sse');
  r0f(op, 'F2', base + 'sd', ['Vsd', 'Wsd'], 'sse2');
}

// ---- moves (SDM Vol. 2D Table A-3 rows 1x, 2x, 6x, 7x, Dx, Ex) ----
r0f(0x10, 'none', 'movups', ['Vps', 'Wps'], 'sse');
r0f(0x10, '66', 'movupd', ['Vpd', 'Wpd'], 'sse2');
r0f(0x10, 'F3', 'movss', ['Vss', 'Wss'], 'sse');
r0f(0x10, 'F2', 'movsd', ['Vsd', 'Wsd'], 'sse2');
r0f(0x11, 'none', 'movups', ['Wps', 'Vps'], 'sse');
r0f(0x11, '66', 'movupd', ['Wpd', 'Vpd'], 'sse2');
r0f(0x11, 'F3', 'movss', ['Wss', 'Vss'], 'sse');
r0f(0x11, 'F2', 'movsd', ['Wsd', 'Vsd'], 'sse2');
// 0F 12: MOVLPS Vq, Mq; with a register source it is MOVHLPS (Table A-3 footnote).
rows.push({ map: '0F', opcode: 0x12, prefix: 'none', entry: group('movlps', Array<OpcodeForm>(8).fill(f('movlps', ['Vq', 'Mq'], { feature: 'sse' })), Object.fromEntries([0, 1, 2, 3, 4, 5, 6, 7].map((reg) => [reg, Array<OpcodeForm>(8).fill(f('movhlps', ['Vq', 'Uq'], { feature: 'sse' }))]))) });
r0f(0x12, '66', 'movlpd', ['Vq', 'Mq'], 'sse2');
r0f(0x12, 'F3', 'movsldup', ['Vx', 'Wx'], 'sse3');
r0f(0x12, 'F2', 'movddup', ['Vx', 'Wsd'], 'sse3');
r0f(0x13, 'none', 'movlps', ['Mq', 'Vq'], 'sse');
r0f(0x13, '66', 'movlpd', ['Mq', 'Vq'], 'sse2');
r0f(0x14, 'none', 'unpcklps', ['Vx', 'Wx'], 'sse');
r0f(0x14, '66', 'unpcklpd', ['Vx', 'Wx'], 'sse2');
r0f(0x15, 'none', 'unpckhps', ['Vx', 'Wx'], 'sse');
r0f(0x15, '66', 'unpckhpd', ['Vx', 'Wx'], 'sse2');
// 0F 16: MOVHPS Vq, Mq; with a register source it is MOVLHPS.
rows.push({ map: '0F', opcode: 0x16, prefix: 'none', entry: group('movhps', Array<OpcodeForm>(8).fill(f('movhps', ['Vq', 'Mq'], { feature: 'sse' })), Object.fromEntries([0, 1, 2, 3, 4, 5, 6, 7].map((reg) => [reg, Array<OpcodeForm>(8).fill(f('movlhps', ['Vq', 'Uq'], { feature: 'sse' }))]))) });
r0f(0x16, '66', 'movhpd', ['Vq', 'Mq'], 'sse2');
r0f(0x16, 'F3', 'movshdup', ['Vx', 'Wx'], 'sse3');
r0f(0x17, 'none', 'movhps', ['Mq', 'Vq'], 'sse');
r0f(0x17, '66', 'movhpd', ['Mq', 'Vq'], 'sse2');
r0f(0x28, 'none', 'movaps', ['Vps', 'Wps'], 'sse');
r0f(0x28, '66', 'movapd', ['Vpd', 'Wpd'], 'sse2');
r0f(0x29, 'none', 'movaps', ['Wps', 'Vps'], 'sse');
r0f(0x29, '66', 'movapd', ['Wpd', 'Vpd'], 'sse2');
r0f(0x2b, 'none', 'movntps', ['Mps', 'Vps'], 'sse');
r0f(0x2b, '66', 'movntpd', ['Mpd', 'Vpd'], 'sse2');
r0f(0x50, 'none', 'movmskps', ['Gd', 'Ups'], 'sse');
r0f(0x50, '66', 'movmskpd', ['Gd', 'Upd'], 'sse2');
r0f(0x6e, 'none', 'movd', ['Py', 'Ey'], 'mmx');
r0f(0x6e, '66', 'movd', ['Vy', 'Ey'], 'sse2');
r0f(0x6f, 'none', 'movq', ['Pq', 'Qq'], 'mmx');
r0f(0x6f, '66', 'movdqa', ['Vx', 'Wx'], 'sse2');
r0f(0x6f, 'F3', 'movdqu', ['Vx', 'Wx'], 'sse2');
r0f(0x7e, 'none', 'movd', ['Ey', 'Py'], 'mmx');
r0f(0x7e, '66', 'movd', ['Ey', 'Vy'], 'sse2');
r0f(0x7e, 'F3', 'movq', ['Vq', 'Wq'], 'sse2');
r0f(0x7f, 'none', 'movq', ['Qq', 'Pq'], 'mmx');
r0f(0x7f, '66', 'movdqa', ['Wx', 'Vx'], 'sse2');
r0f(0x7f, 'F3', 'movdqu', ['Wx', 'Vx'], 'sse2');
r0f(0xc3, 'none', 'movnti', ['My', 'Gy'], 'sse2');
r0f(0xd6, '66', 'movq', ['Wq', 'Vq'], 'sse2');
r0f(0xd6, 'F3', 'movq2dq', ['Vx', 'Nq'], 'sse2');
r0f(0xd6, 'F2', 'movdq2q', ['Pq', 'Uq'], 'sse2');
r0f(0xd7, 'none', 'pmovmskb', ['Gd', 'Nq'], 'sse');
r0f(0xd7, '66', 'pmovmskb', ['Gd', 'Ux'], 'sse2');
r0f(0xe7, 'none', 'movntq', ['Mq', 'Pq'], 'sse');
r0f(0xe7, '66', 'movntdq', ['Mx', 'Vx'], 'sse2');
r0f(0xf0, 'F2', 'lddqu', ['Vx', 'Mx'], 'sse3');
r0f(0xf7, 'none', 'maskmovq', ['Pq', 'Nq'], 'sse');
r0f(0xf7, '66', 'maskmovdqu', ['Vx', 'Ux'], 'sse2');
r38(0x2a, '66', 'movntdqa', ['Vx', 'Mx'], 'sse4_1');

// ---- floating point (Table A-3 rows 2x, 5x, Cx, Dx, 7x) ----
r0f(0x2a, 'none', 'cvtpi2ps', ['Vps', 'Qq'], 'sse');
r0f(0x2a, '66', 'cvtpi2pd', ['Vpd', 'Qq'], 'sse2');
r0f(0x2a, 'F3', 'cvtsi2ss', ['Vss', 'Ey'], 'sse');
r0f(0x2a, 'F2', 'cvtsi2sd', ['Vsd', 'Ey'], 'sse2');
r0f(0x2c, 'none', 'cvttps2pi', ['Pq', 'Wq'], 'sse');
r0f(0x2c, '66', 'cvttpd2pi', ['Pq', 'Wpd'], 'sse2');
r0f(0x2c, 'F3', 'cvttss2si', ['Gy', 'Wss'], 'sse');
r0f(0x2c, 'F2', 'cvttsd2si', ['Gy', 'Wsd'], 'sse2');
r0f(0x2d, 'none', 'cvtps2pi', ['Pq', 'Wq'], 'sse');
r0f(0x2d, '66', 'cvtpd2pi', ['Pq', 'Wpd'], 'sse2');
r0f(0x2d, 'F3', 'cvtss2si', ['Gy', 'Wss'], 'sse');
r0f(0x2d, 'F2', 'cvtsd2si', ['Gy', 'Wsd'], 'sse2');
r0f(0x2e, 'none', 'ucomiss', ['Vss', 'Wss'], 'sse');
r0f(0x2e, '66', 'ucomisd', ['Vsd', 'Wsd'], 'sse2');
r0f(0x2f, 'none', 'comiss', ['Vss', 'Wss'], 'sse');
r0f(0x2f, '66', 'comisd', ['Vsd', 'Wsd'], 'sse2');
floatQuad(0x51, 'sqrt');
r0f(0x52, 'none', 'rsqrtps', ['Vps', 'Wps'], 'sse');
r0f(0x52, 'F3', 'rsqrtss', ['Vss', 'Wss'], 'sse');
r0f(0x53, 'none', 'rcpps', ['Vps', 'Wps'], 'sse');
r0f(0x53, 'F3', 'rcpss', ['Vss', 'Wss'], 'sse');
r0f(0x54, 'none', 'andps', ['Vps', 'Wps'], 'sse');
r0f(0x54, '66', 'andpd', ['Vpd', 'Wpd'], 'sse2');
r0f(0x55, 'none', 'andnps', ['Vps', 'Wps'], 'sse');
r0f(0x55, '66', 'andnpd', ['Vpd', 'Wpd'], 'sse2');
r0f(0x56, 'none', 'orps', ['Vps', 'Wps'], 'sse');
r0f(0x56, '66', 'orpd', ['Vpd', 'Wpd'], 'sse2');
r0f(0x57, 'none', 'xorps', ['Vps', 'Wps'], 'sse');
r0f(0x57, '66', 'xorpd', ['Vpd', 'Wpd'], 'sse2');
floatQuad(0x58, 'add');
floatQuad(0x59, 'mul');
r0f(0x5a, 'none', 'cvtps2pd', ['Vpd', 'Wq'], 'sse2');
r0f(0x5a, '66', 'cvtpd2ps', ['Vps', 'Wpd'], 'sse2');
r0f(0x5a, 'F3', 'cvtss2sd', ['Vsd', 'Wss'], 'sse2');
r0f(0x5a, 'F2', 'cvtsd2ss', ['Vss', 'Wsd'], 'sse2');
r0f(0x5b, 'none', 'cvtdq2ps', ['Vps', 'Wx'], 'sse2');
r0f(0x5b, '66', 'cvtps2dq', ['Vx', 'Wps'], 'sse2');
r0f(0x5b, 'F3', 'cvttps2dq', ['Vx', 'Wps'], 'sse2');
floatQuad(0x5c, 'sub');
floatQuad(0x5d, 'min');
floatQuad(0x5e, 'div');
floatQuad(0x5f, 'max');
r0f(0x7c, '66', 'haddpd', ['Vpd', 'Wpd'], 'sse3');
r0f(0x7c, 'F2', 'haddps', ['Vps', 'Wps'], 'sse3');
r0f(0x7d, '66', 'hsubpd', ['Vpd', 'Wpd'], 'sse3');
r0f(0x7d, 'F2', 'hsubps', ['Vps', 'Wps'], 'sse3');
r0f(0xc2, 'none', 'cmpps', ['Vps', 'Wps', 'Ib'], 'sse');
r0f(0xc2, '66', 'cmppd', ['Vpd', 'Wpd', 'Ib'], 'sse2');
r0f(0xc2, 'F3', 'cmpss', ['Vss', 'Wss', 'Ib'], 'sse');
r0f(0xc2, 'F2', 'cmpsd', ['Vsd', 'Wsd', 'Ib'], 'sse2');
r0f(0xc6, 'none', 'shufps', ['Vps', 'Wps', 'Ib'], 'sse');
r0f(0xc6, '66', 'shufpd', ['Vpd', 'Wpd', 'Ib'], 'sse2');
r0f(0xd0, '66', 'addsubpd', ['Vpd', 'Wpd'], 'sse3');
r0f(0xd0, 'F2', 'addsubps', ['Vps', 'Wps'], 'sse3');
r0f(0xe6, '66', 'cvttpd2dq', ['Vx', 'Wpd'], 'sse2');
r0f(0xe6, 'F3', 'cvtdq2pd', ['Vx', 'Wq'], 'sse2');
r0f(0xe6, 'F2', 'cvtpd2dq', ['Vx', 'Wpd'], 'sse2');

// ---- packed integers: MMX forms and SSE2 forms (Table A-3 rows 6x, 7x, Dx, Ex, Fx) ----
const INT_OPS: readonly (readonly [number, string, string?])[] = [
  [0x60, 'punpcklbw'], [0x61, 'punpcklwd'], [0x62, 'punpckldq'], [0x63, 'packsswb'],
  [0x64, 'pcmpgtb'], [0x65, 'pcmpgtw'], [0x66, 'pcmpgtd'], [0x67, 'packuswb'],
  [0x68, 'punpckhbw'], [0x69, 'punpckhwd'], [0x6a, 'punpckhdq'], [0x6b, 'packssdw'],
  [0x74, 'pcmpeqb'], [0x75, 'pcmpeqw'], [0x76, 'pcmpeqd'],
  [0xd1, 'psrlw'], [0xd2, 'psrld'], [0xd3, 'psrlq'], [0xd4, 'paddq', 'sse2'], [0xd5, 'pmullw'],
  [0xd8, 'psubusb'], [0xd9, 'psubusw'], [0xda, 'pminub', 'sse'], [0xdb, 'pand'],
  [0xdc, 'paddusb'], [0xdd, 'paddusw'], [0xde, 'pmaxub', 'sse'], [0xdf, 'pandn'],
  [0xe0, 'pavgb', 'sse'], [0xe1, 'psraw'], [0xe2, 'psrad'], [0xe3, 'pavgw', 'sse'],
  [0xe4, 'pmulhuw', 'sse'], [0xe5, 'pmulhw'], [0xe8, 'psubsb'], [0xe9, 'psubsw'],
  [0xea, 'pminsw', 'sse'], [0xeb, 'por'], [0xec, 'paddsb'], [0xed, 'paddsw'], [0xee, 'pmaxsw', 'sse'], [0xef, 'pxor'],
  [0xf1, 'psllw'], [0xf2, 'pslld'], [0xf3, 'psllq'], [0xf4, 'pmuludq', 'sse2'], [0xf5, 'pmaddwd'],
  [0xf6, 'psadbw', 'sse'], [0xf8, 'psubb'], [0xf9, 'psubw'], [0xfa, 'psubd'], [0xfb, 'psubq', 'sse2'],
  [0xfc, 'paddb'], [0xfd, 'paddw'], [0xfe, 'paddd'],
];
for (const [op, m, feat] of INT_OPS) mmxAndSse2(op, m, feat);
r0f(0x6c, '66', 'punpcklqdq', ['Vx', 'Wx'], 'sse2');
r0f(0x6d, '66', 'punpckhqdq', ['Vx', 'Wx'], 'sse2');
r0f(0x70, 'none', 'pshufw', ['Pq', 'Qq', 'Ib'], 'sse');
r0f(0x70, '66', 'pshufd', ['Vx', 'Wx', 'Ib'], 'sse2');
r0f(0x70, 'F3', 'pshufhw', ['Vx', 'Wx', 'Ib'], 'sse2');
r0f(0x70, 'F2', 'pshuflw', ['Vx', 'Wx', 'Ib'], 'sse2');
r0f(0x77, 'none', 'emms', [], 'mmx');
r0f(0xc4, 'none', 'pinsrw', ['Pq', 'Ed', 'Ib'], 'sse');
r0f(0xc4, '66', 'pinsrw', ['Vx', 'Ed', 'Ib'], 'sse2');
r0f(0xc5, 'none', 'pextrw', ['Gd', 'Nq', 'Ib'], 'sse');
r0f(0xc5, '66', 'pextrw', ['Gd', 'Ux', 'Ib'], 'sse2');

/**
 * Groups 12, 13, 14 (0F 71-73; SDM Vol. 2D Table A-6): shifts by an immediate, register
 * forms only (a memory form is #UD).
 */
function shiftGroup(op: number, name: string, byReg: Record<number, [string, boolean]>): void {
  const forms = (mmx: boolean): Record<number, OpcodeForm[]> => {
    const out: Record<number, OpcodeForm[]> = {};
    for (const [reg, [m, xmmOnly]] of Object.entries(byReg)) {
      if (mmx && xmmOnly) continue;
      out[Number(reg)] = Array<OpcodeForm>(8).fill(f(m, mmx ? ['Nq', 'Ib'] : ['Ux', 'Ib'], { feature: mmx ? 'mmx' : 'sse2' }));
    }
    return out;
  };
  rows.push({ map: '0F', opcode: op, prefix: 'none', entry: group(name, [], forms(true)) });
  rows.push({ map: '0F', opcode: op, prefix: '66', entry: group(name, [], forms(false)) });
}
shiftGroup(0x71, '12', { 2: ['psrlw', false], 4: ['psraw', false], 6: ['psllw', false] });
shiftGroup(0x72, '13', { 2: ['psrld', false], 4: ['psrad', false], 6: ['pslld', false] });
shiftGroup(0x73, '14', { 2: ['psrlq', false], 3: ['psrldq', true], 6: ['psllq', false], 7: ['pslldq', true] });

// ---- SSSE3 (Table A-4 rows 0x, 1x; Table A-5 0F) ----
const SSSE3_OPS: readonly (readonly [number, string])[] = [
  [0x00, 'pshufb'], [0x01, 'phaddw'], [0x02, 'phaddd'], [0x03, 'phaddsw'], [0x04, 'pmaddubsw'],
  [0x05, 'phsubw'], [0x06, 'phsubd'], [0x07, 'phsubsw'], [0x08, 'psignb'], [0x09, 'psignw'],
  [0x0a, 'psignd'], [0x0b, 'pmulhrsw'], [0x1c, 'pabsb'], [0x1d, 'pabsw'], [0x1e, 'pabsd'],
];
for (const [op, m] of SSSE3_OPS) {
  r38(op, 'none', m, ['Pq', 'Qq'], 'ssse3');
  r38(op, '66', m, ['Vx', 'Wx'], 'ssse3');
}
r3a(0x0f, 'none', 'palignr', ['Pq', 'Qq', 'Ib'], 'ssse3');
r3a(0x0f, '66', 'palignr', ['Vx', 'Wx', 'Ib'], 'ssse3');

// ---- SSE4.1 and SSE4.2 (Tables) ----
const SSE41_OPS: readonly (readonly [number, string, string?])[] = [
  [0x10, 'pblendvb'], [0x14, 'blendvps'], [0x15, 'blendvpd'], [0x17, 'ptest'],
  [0x28, 'pmuldq'], [0x29, 'pcmpeqq'], [0x2b, 'packusdw'], [0x37, 'pcmpgtq', 'sse4_2'],
  [0x38, 'pminsb'], [0x39, 'pminsd'], [0x3a, 'pminuw'], [0x3b, 'pminud'],
  [0x3c, 'pmaxsb'], [0x3d, 'pmaxsd'], [0x3e, 'pmaxuw'], [0x3f, 'pmaxud'],
  [0x40, 'pmulld'], [0x41, 'phminposuw'],
];
for (const [op, m, feat] of SSE41_OPS) r38(op, '66', m, ['Vx', 'Wx'], feat ?? 'sse4_1');
// PMOVSX/PMOVZX read half, a quarter or an eighth of a register (SDM Vol. 2B PMOVSX).
const EXTENDS: readonly (readonly [number, string, Operand])[] = [
  [0x20, 'bw', 'Wq'], [0x21, 'bd', 'Wd'], [0x22, 'bq', 'Ww'], [0x23, 'wd', 'Wq'], [0x24, 'wq', 'Wd'], [0x25, 'dq', 'Wq'],
];
for (const [op, kind, src] of EXTENDS) {
  r38(op, '66', 'pmovsx' + kind, ['Vx', src], 'sse4_1');
  r38(op + 0x10, '66', 'pmovzx' + kind, ['Vx', src], 'sse4_1');
}
r3a(0x08, '66', 'roundps', ['Vps', 'Wps', 'Ib'], 'sse4_1');
r3a(0x09, '66', 'roundpd', ['Vpd', 'Wpd', 'Ib'], 'sse4_1');
r3a(0x0a, '66', 'roundss', ['Vss', 'Wss', 'Ib'], 'sse4_1');
r3a(0x0b, '66', 'roundsd', ['Vsd', 'Wsd', 'Ib'], 'sse4_1');
r3a(0x0c, '66', 'blendps', ['Vps', 'Wps', 'Ib'], 'sse4_1');
r3a(0x0d, '66', 'blendpd', ['Vpd', 'Wpd', 'Ib'], 'sse4_1');
r3a(0x0e, '66', 'pblendw', ['Vx', 'Wx', 'Ib'], 'sse4_1');
r3a(0x14, '66', 'pextrb', ['Ed', 'Vx', 'Ib'], 'sse4_1');
r3a(0x15, '66', 'pextrw', ['Ew', 'Vx', 'Ib'], 'sse4_1');
r3a(0x16, '66', 'pextrd', ['Ey', 'Vx', 'Ib'], 'sse4_1');
r3a(0x17, '66', 'extractps', ['Ed', 'Vx', 'Ib'], 'sse4_1');
r3a(0x20, '66', 'pinsrb', ['Vx', 'Ed', 'Ib'], 'sse4_1');
r3a(0x21, '66', 'insertps', ['Vx', 'Wd', 'Ib'], 'sse4_1');
r3a(0x22, '66', 'pinsrd', ['Vx', 'Ey', 'Ib'], 'sse4_1');
r3a(0x40, '66', 'dpps', ['Vps', 'Wps', 'Ib'], 'sse4_1');
r3a(0x41, '66', 'dppd', ['Vpd', 'Wpd', 'Ib'], 'sse4_1');
r3a(0x42, '66', 'mpsadbw', ['Vx', 'Wx', 'Ib'], 'sse4_1');
r3a(0x60, '66', 'pcmpestrm', ['Vx', 'Wx', 'Ib'], 'sse4_2');
r3a(0x61, '66', 'pcmpestri', ['Vx', 'Wx', 'Ib'], 'sse4_2');
r3a(0x62, '66', 'pcmpistrm', ['Vx', 'Wx', 'Ib'], 'sse4_2');
r3a(0x63, '66', 'pcmpistri', ['Vx', 'Wx', 'Ib'], 'sse4_2');
// CRC32 Gy, Eb / Gy, Ev (SDM Vol. 2A CRC32): F2 0F 38 F0/F1; 66 F2 0F 38 F1 is the 16-bit form.
r38(0xf0, 'F2', 'crc32', ['Gy', 'Eb'], 'sse4_2');
r38(0xf1, 'F2', 'crc32', ['Gy', 'Ev'], 'sse4_2');

// ---- AES-NI and PCLMULQDQ (Table A-4 row Dx, Table A-5 rows 4x and Dx; SDM Vol. 2A AESENC...,
// Vol. 2B PCLMULQDQ): legacy-SSE forms with a 16-byte source that must be aligned ----
r38(0xdb, '66', 'aesimc', ['Vdq', 'Wdq'], 'aes');
r38(0xdc, '66', 'aesenc', ['Vdq', 'Wdq'], 'aes');
r38(0xdd, '66', 'aesenclast', ['Vdq', 'Wdq'], 'aes');
r38(0xde, '66', 'aesdec', ['Vdq', 'Wdq'], 'aes');
r38(0xdf, '66', 'aesdeclast', ['Vdq', 'Wdq'], 'aes');
r3a(0x44, '66', 'pclmulqdq', ['Vdq', 'Wdq', 'Ib'], 'pclmulqdq');
r3a(0xdf, '66', 'aeskeygenassist', ['Vdq', 'Wdq', 'Ib'], 'aes');

export const SSE_FORMS: readonly MapRow[] = rows;
