// The 64-bit case generator's encoder (tests/harness/lib/x86-64.ts) against NASM 2.16: the
// expected bytes were assembled with `nasm -f bin` (bits 64) and checked with ndisasm. The
// host run already proves every recorded memory operand reaches the buffer (the runner's
// canary); this pins down the REX/VEX/ModRM/SIB bits the asm text claims.
import { describe, expect, it } from 'vitest';
import { LAYOUT } from '../harness/fixture-format.ts';
import { DEFAULT_REGISTERS64, parseFixtureText64 } from '../harness/fixture-format64.ts';
import { AH, Builder64, RAX, encode, encodeVex, type Operand64 } from '../harness/lib/x86-64.ts';
import { Rng } from '../harness/lib/rng.ts';

const mem = (o: Partial<Operand64>): Operand64 => ({
  mod: 0,
  rm: 0,
  disp: [],
  rexB: false,
  rexX: false,
  addr32: false,
  text: '',
  ...o,
});
const hex = (b: number[]): string => Buffer.from(b).toString('hex');

describe('x86-64 encoder', () => {
  const b = new Builder64(new Rng('encoder-test'));
  it.each([
    [
      'add [r12],rax',
      encode({ w: true, opcode: [0x01], reg: RAX, op: mem({ rm: 4, sib: 0x24, rexB: true }) }),
      '49010424',
    ],
    [
      'add [r13+0x10],eax',
      encode({ opcode: [0x01], reg: RAX, op: mem({ mod: 1, rm: 5, disp: [0x10], rexB: true }) }),
      '41014510',
    ],
    [
      'add [rax+r12*4-0x20],cl',
      encode({
        opcode: [0x00],
        reg: 1,
        byteReg: true,
        op: mem({ mod: 1, rm: 4, sib: 0xa0, disp: [0xe0], rexX: true }),
      }),
      '42004ca0e0',
    ],
    ['add spl,dil', encode({ opcode: [0x00], reg: 7, byteReg: true, op: b.reg(8, 4) }), '4000fc'],
    ['add ah,bh', encode({ opcode: [0x00], reg: AH + 3, byteReg: true, op: b.reg(8, AH) }), '00fc'],
    [
      'add [rel $+0x1000],r9',
      encode({
        w: true,
        opcode: [0x01],
        reg: 9,
        op: mem({ rm: 5, disp: [0, 0, 0, 0], ripTarget: LAYOUT.codeBase + 0x1000 }),
      }),
      '4c010df90f0000',
    ],
    [
      'add dword [r9d+r10d*2+0x44],byte +7',
      encode({
        opcode: [0x83],
        reg: 0,
        imm: [7],
        op: mem({ mod: 1, rm: 4, sib: 0x51, disp: [0x44], rexX: true, rexB: true, addr32: true }),
      }),
      '67438344514407',
    ],
    [
      'mov rax,[gs:rbx]',
      encode({ w: true, opcode: [0x8b], reg: RAX, op: mem({ rm: 3, seg: 0x65 }) }),
      '65488b03',
    ],
    [
      'lea r11,[rsp+rbp*8]',
      encode({ w: true, opcode: [0x8d], reg: 11, op: mem({ rm: 4, sib: 0xec }) }),
      '4c8d1cec',
    ],
    [
      'andn rax,r11,rcx',
      encodeVex({ map: 2, pp: 0, w: true, vvvv: 11, opcode: 0xf2, reg: RAX, op: b.reg(64, 1) }),
      'c4e2a0f2c1',
    ],
    [
      'blsr r8,[r12]',
      encodeVex({
        map: 2,
        pp: 0,
        w: true,
        vvvv: 8,
        opcode: 0xf3,
        reg: 1,
        op: mem({ rm: 4, sib: 0x24, rexB: true }),
      }),
      'c4c2b8f30c24',
    ],
    [
      'rorx r10d,[r13+8],5',
      encodeVex({
        map: 3,
        pp: 3,
        w: false,
        vvvv: 0,
        opcode: 0xf0,
        reg: 10,
        imm: [5],
        op: mem({ mod: 1, rm: 5, disp: [8], rexB: true }),
      }),
      'c4437bf0550805',
    ],
    [
      'shlx eax,[rcx+r9*2],r14d',
      encodeVex({
        map: 2,
        pp: 1,
        w: false,
        vvvv: 14,
        opcode: 0xf7,
        reg: RAX,
        op: mem({ rm: 4, sib: 0x49, rexX: true }),
      }),
      'c4a209f70449',
    ],
  ] as [string, number[], string][])('%s', (_asm, bytes, want) => {
    expect(hex(bytes)).toBe(want);
  });

  it('refuses AH..BH in an instruction that has a REX prefix', () => {
    expect(() => encode({ w: true, opcode: [0x00], reg: AH, byteReg: true, op: b.reg(8, 1) })).toThrow(/REX/);
    expect(() => encode({ opcode: [0x00], reg: AH, byteReg: true, op: b.reg(8, 9) })).toThrow(/REX/);
  });
});

describe('64-bit fixture format', () => {
  it('expands sparse registers from the header defaults and keeps all 64 bits', () => {
    const header = {
      format: 'wasmkvm-cpu-fixture/1',
      mode: '64',
      family: 't',
      cases: 1,
      defaults: {
        ...Object.fromEntries(
          [
            'rax',
            'rcx',
            'rdx',
            'rbx',
            'rsp',
            'rbp',
            'rsi',
            'rdi',
            'r8',
            'r9',
            'r10',
            'r11',
            'r12',
            'r13',
            'r14',
            'r15',
          ].map((r, n) => [r, DEFAULT_REGISTERS64[n]!.toString(16)]),
        ),
        rflags: '202',
      },
    };
    const line = {
      asm: 'cdqe',
      m: 'CDQE',
      ctx: { size: 64 },
      code: '4898',
      init: { rax: '00000000fffffffe' },
      final: { rflags: '202', rax: 'fffffffffffffffe' },
    };
    const f = parseFixtureText64(`${JSON.stringify(header)}\n${JSON.stringify(line)}\n`);
    const c = f.cases[0]!;
    expect(c.init.regs[0]).toBe(0xfffffffen);
    expect(c.final.regs[0]).toBe(0xffff_ffff_ffff_fffen);
    expect(c.init.regs[15]).toBe(DEFAULT_REGISTERS64[15]);
    expect(c.final.regs[1]).toBe(DEFAULT_REGISTERS64[1]);
  });
});
