// Decoder checks against encodings worked out from the SDM (Vol. 2A chapter 2 and the
// instruction pages); each expected field comes from the manual's tables, not from our code.
import { describe, expect, it } from 'vitest';
import { decode, type DecodeResult } from './decoder.ts';
import { Seg } from './registers.ts';

function dec(bytes: number[], codeSize: 2 | 4 | 8 = 4): DecodeResult {
  return decode((i) => {
    if (i >= bytes.length) throw new Error('fetch past end');
    return bytes[i];
  }, { codeSize });
}

function ok(bytes: number[], codeSize: 2 | 4 | 8 = 4) {
  const r = dec(bytes, codeSize);
  if (!r.ok) throw new Error(`decode failed: ${r.fault}`);
  return r.instr;
}

describe('decoder', () => {
  it('ModRM with SIB, scale and disp32 (SDM Table 2-3): mov eax, [ebx + esi*4 + 0x12345678]', () => {
    const i = ok([0x8b, 0x84, 0xb3, 0x78, 0x56, 0x34, 0x12]);
    expect(i.form.mnemonic).toBe('mov');
    expect(i.length).toBe(7);
    expect(i.reg).toBe(0);
    expect(i.mem).toMatchObject({ base: 3, index: 6, scale: 4, disp: 0x12345678, seg: Seg.DS });
  });

  it('SIB base 101 with mod 00 means disp32 and no base', () => {
    const i = ok([0x8b, 0x04, 0x8d, 0x00, 0x10, 0x00, 0x00]); // mov eax, [ecx*4 + 0x1000]
    expect(i.mem).toMatchObject({ base: -1, index: 1, scale: 4, disp: 0x1000 });
  });

  it('EBP- and ESP-based forms default to SS (SDM Vol. 1 3.7.4.1)', () => {
    expect(ok([0x8b, 0x45, 0xfc]).mem).toMatchObject({ base: 5, disp: -4, seg: Seg.SS }); // mov eax, [ebp-4]
    expect(ok([0x8b, 0x04, 0x24]).mem).toMatchObject({ base: 4, index: -1, seg: Seg.SS }); // mov eax, [esp]
  });

  it('16-bit addressing (SDM Table 2-1): [bp+di+disp8] uses SS, [bx+si] DS', () => {
    expect(ok([0x8b, 0x43, 0x10], 2).mem).toMatchObject({ base: 5, index: 7, disp: 0x10, seg: Seg.SS });
    expect(ok([0x8b, 0x00], 2).mem).toMatchObject({ base: 3, index: 6, seg: Seg.DS });
    expect(ok([0x8b, 0x06, 0x34, 0x12], 2).mem).toMatchObject({ base: -1, index: -1, disp: 0x1234 });
  });

  it('operand- and address-size prefixes swap 16 and 32 bits', () => {
    const i = ok([0x66, 0xb8, 0x34, 0x12]); // mov ax, 0x1234 in 32-bit code
    expect(i.opSize).toBe(2);
    expect(i.imm).toBe(0x1234);
    expect(i.length).toBe(4);
    const j = ok([0x66, 0xb8, 0x78, 0x56, 0x34, 0x12], 2); // mov eax, imm32 in 16-bit code
    expect(j.opSize).toBe(4);
    expect(j.imm).toBe(0x12345678);
    expect(ok([0x67, 0x8b, 0x07], 4).addrSize).toBe(2); // mov eax, [bx]
  });

  it('segment override and LOCK', () => {
    const i = ok([0xf0, 0x26, 0x01, 0x08]); // lock add es:[eax], ecx
    expect(i.lock).toBe(true);
    expect(i.mem?.seg).toBe(Seg.ES);
  });

  it('LOCK on a register destination or a non-lockable instruction is #UD (SDM Vol. 2A LOCK)', () => {
    expect(dec([0xf0, 0x01, 0xc8])).toMatchObject({ ok: false, fault: 'ud' }); // lock add eax, ecx
    expect(dec([0xf0, 0x8b, 0x00])).toMatchObject({ ok: false, fault: 'ud' }); // lock mov eax, [eax]
  });

  it('group opcodes pick the form by ModRM.reg', () => {
    expect(ok([0x83, 0xe8, 0xff]).form.mnemonic).toBe('sub'); // sub eax, -1 (83 /5 ib)
    expect(ok([0x83, 0xe8, 0xff]).imm).toBe(-1);
    expect(ok([0xf7, 0xf1]).form.mnemonic).toBe('div'); // div ecx (F7 /6)
    expect(ok([0xff, 0xd0]).form.mnemonic).toBe('call'); // call eax (FF /2)
  });

  it('two-byte map: jcc rel32, movzx, setcc, bswap', () => {
    const j = ok([0x0f, 0x84, 0xfa, 0xff, 0xff, 0xff]);
    expect(j.form.mnemonic).toBe('je');
    expect(j.imm).toBe(-6);
    expect(ok([0x0f, 0xb6, 0xc1]).form.mnemonic).toBe('movzx');
    expect(ok([0x0f, 0x9f, 0xc0]).form.mnemonic).toBe('setg');
    expect(ok([0x0f, 0xcb]).reg).toBe(3); // bswap ebx
  });

  it('reserved opcodes and memory-only operands with mod = 3 are #UD', () => {
    expect(dec([0x0f, 0x0b])).toMatchObject({ ok: true }); // ud2 decodes; it raises #UD when executed
    expect(dec([0x0f, 0x04])).toMatchObject({ ok: false, fault: 'ud' });
    expect(dec([0x8d, 0xc0])).toMatchObject({ ok: false, fault: 'ud' }); // lea eax, eax
    expect(dec([0x8e, 0xc8])).toMatchObject({ ok: false, fault: 'ud' }); // mov cs, ax
  });

  it('an instruction longer than 15 bytes is #GP(0) (SDM Vol. 2A 2.3.11)', () => {
    expect(dec([...Array(14).fill(0x66), 0x05, 0x01, 0x00])).toMatchObject({ ok: false, fault: 'gp' });
  });

  it('64-bit mode: REX.W, REX.B/R extension, RIP-relative, moffs64 and invalid one-byte forms', () => {
    const m = ok([0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8], 8); // mov rax, imm64
    expect(m.opSize).toBe(8);
    expect(m.imm64).toBe(0x0807060504030201n);
    const r = ok([0x4d, 0x8b, 0x45, 0x08], 8); // mov r8, [r13+8]
    expect(r.reg).toBe(8);
    expect(r.mem).toMatchObject({ base: 13, disp: 8 });
    const rr = ok([0x8b, 0x05, 0x10, 0, 0, 0], 8); // mov eax, [rip+0x10]
    expect(rr.mem).toMatchObject({ base: -1, ripRelative: true, disp: 0x10 });
    expect(ok([0x50], 8).opSize).toBe(8); // push rax defaults to 64-bit
    expect(dec([0x27], 8)).toMatchObject({ ok: false, fault: 'ud' }); // daa
    expect(dec([0x06], 8)).toMatchObject({ ok: false, fault: 'ud' }); // push es
  });
});

describe('decoder: 64-bit-only meanings', () => {
  it('63 /r is ARPL outside 64-bit mode and MOVSXD in it (SDM Vol. 2D Table A-2)', () => {
    expect(ok([0x63, 0xc8], 4).form.mnemonic).toBe('arpl');
    const m = ok([0x48, 0x63, 0xc1], 8); // movsxd rax, ecx
    expect(m.form.mnemonic).toBe('movsxd');
    expect(m.opSize).toBe(8);
    expect(m.reg).toBe(0);
    expect(m.rm).toBe(1);
  });
});

describe('mandatory prefixes and VEX (SDM Vol. 2A 2.1.2, 2.3)', () => {
  it('F3 0F AE /0 with mod 11 is RDFSBASE; the F3 is consumed as part of the opcode', () => {
    const i = ok([0xf3, 0x48, 0x0f, 0xae, 0xc0], 8); // rdfsbase rax
    expect(i.form.mnemonic).toBe('rdfsbase');
    expect(i.mandatory).toBe('F3');
    expect(i.repPrefix).toBe(0);
    expect(i.opSize).toBe(8);
  });

  it('0F AE /0 with mod 11 and no F3 is #UD; with memory it is FXSAVE, and an F3 there is an ignored REP', () => {
    expect(dec([0x0f, 0xae, 0xc0], 8)).toMatchObject({ ok: false, fault: 'ud' });
    const i = ok([0xf3, 0x0f, 0xae, 0x00]); // rep fxsave [eax]
    expect(i.form.mnemonic).toBe('fxsave');
    expect(i.mandatory).toBe('none');
  });

  it('0F AE /5 /6 /7 with mod 11 are the fences', () => {
    expect(ok([0x0f, 0xae, 0xe8]).form.mnemonic).toBe('lfence');
    expect(ok([0x0f, 0xae, 0xf0]).form.mnemonic).toBe('mfence');
    expect(ok([0x0f, 0xae, 0xf8]).form.mnemonic).toBe('sfence');
  });

  it('group 7 register forms: 0F 01 CA CLAC, CB STAC, D0 XGETBV, EE RDPKRU, F9 RDTSCP', () => {
    expect(ok([0x0f, 0x01, 0xca]).form.mnemonic).toBe('clac');
    expect(ok([0x0f, 0x01, 0xcb]).form.mnemonic).toBe('stac');
    expect(ok([0x0f, 0x01, 0xd0]).form.mnemonic).toBe('xgetbv');
    expect(ok([0x0f, 0x01, 0xee]).form.mnemonic).toBe('rdpkru');
    expect(ok([0x0f, 0x01, 0xf9]).form.mnemonic).toBe('rdtscp');
    expect(dec([0x0f, 0x01, 0xc8])).toMatchObject({ ok: false, fault: 'ud' }); // MONITOR: not implemented
  });

  it('C5 outside 64-bit mode with a memory ModRM is LDS, with mod 11 it is VEX (SDM Vol. 2A 2.3.5)', () => {
    expect(ok([0xc5, 0x06]).form.mnemonic).toBe('lds'); // lds eax, [esi]
    const r = dec([0xc5, 0xf8, 0x77]); // VEX.128.0F 77 = VZEROUPPER: no AVX, #UD
    expect(r).toMatchObject({ ok: false, fault: 'ud' });
    expect(r.ok ? 0 : r.length).toBe(3);
  });

  it('VEX after a 66, F2, F3 or REX prefix is #UD', () => {
    expect(dec([0x66, 0xc4, 0xe2, 0x78, 0xf2, 0xc0], 8)).toMatchObject({ ok: false, fault: 'ud', length: 2 });
    expect(dec([0x40, 0xc4, 0xe2, 0x78, 0xf2, 0xc0], 8)).toMatchObject({ ok: false, fault: 'ud', length: 2 });
  });

  it('0F 38 and 0F 3A are three-byte maps: an empty slot is #UD after three opcode bytes', () => {
    expect(dec([0x0f, 0x38, 0xff, 0xc0])).toMatchObject({ ok: false, fault: 'ud', length: 3, opcode: 0x2ff });
    expect(dec([0x0f, 0x3a, 0xff, 0xc0, 0x00])).toMatchObject({ ok: false, fault: 'ud', length: 3, opcode: 0x3ff });
  });
});
