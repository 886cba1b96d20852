// Stack instructions, with ESP inside the memory buffer so everything they push and pop is
// recorded: PUSH/POP (registers incl. ESP, immediates, memory incl. [ESP+d]), PUSHF/POPF,
// PUSHA/POPA, ENTER (nesting levels 0-4) and LEAVE, each with 32- and 16-bit operand size.
// Also BOUND, in range and out (#BR) (SDM Vol. 2A "BOUND").

import type { Family } from '../gen-cases.ts';
import type { Rng } from '../lib/rng.ts';
import { IF, LAYOUT } from '../fixture-format.ts';
import {
  CaseBuilder,
  EBP,
  ESP,
  hex,
  le,
  modrm,
  modrmBytes,
  osize,
  regName,
  sext,
  value,
  type CaseSpec,
  type Size,
} from '../lib/x86.ts';
import { AF, CF, DF, OF, PF, SF, ZF } from '../../fixtures/cpu/undefined-flags.ts';

const M = LAYOUT.memSize;

/** A builder whose ESP points `off` bytes into the buffer (buffer contents random). */
function onStack(rng: Rng, off: number): CaseBuilder {
  const b = new CaseBuilder(rng);
  b.memory();
  b.set(32, ESP, LAYOUT.memBase + off);
  return b;
}

/** A stack offset in [lo, hi], 4-aligned three times in four (misaligned stacks are legal). */
const stackOff = (rng: Rng, lo: number, hi: number): number => {
  const v = rng.int(lo, hi);
  return rng.chance(0.75) ? Math.min(hi, Math.max(lo, v & ~3)) : v;
};

/**
 * A value for POPF: random status flags and DF, random reserved bits 1, 3, 5 and 15 (which
 * POPF ignores), IF = 1 and IOPL = 0 as the host had (at CPL 3 POPF cannot change them, at
 * CPL 0 it could, so keeping them makes the cases valid at both). TF/NT/AC/ID stay 0.
 */
function popfValue(rng: Rng): number {
  const status = CF | PF | AF | ZF | SF | OF | DF;
  const reserved = (1 << 1) | (1 << 3) | (1 << 5) | (1 << 15);
  return ((rng.u32() & (status | reserved)) | IF) >>> 0;
}

function generateStack(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  const sizes: Size[] = [32, 16];
  for (const size of sizes) {
    const s = size / 8;
    const w = size === 16 ? 'w' : 'd';
    for (let r = 0; r < 8; r++) {
      for (let i = 0; i < 10; i++) {
        // 50+r PUSH r (PUSH ESP pushes the value before the decrement).
        let b = onStack(rng, stackOff(rng, s, M));
        if (r !== ESP) b.set(size, r, value(rng, size));
        out.push(b.build(`push ${regName(size, r)}`, 'PUSH', { size }, [...osize(size), 0x50 + r]));
        // 58+r POP r (POP ESP loads ESP from the stack; the increment is lost).
        b = onStack(rng, stackOff(rng, 0, M - s));
        if (r !== ESP) b.set(32, r, rng.u32());
        out.push(b.build(`pop ${regName(size, r)}`, 'POP', { size }, [...osize(size), 0x58 + r]));
      }
    }
    for (let i = 0; i < 40; i++) {
      // 6A PUSH imm8 (sign-extended), 68 PUSH imm16/32.
      let b = onStack(rng, stackOff(rng, s, M));
      const imm8 = value(rng, 8);
      out.push(
        b.build(
          `push${w === 'w' ? ' word' : ''} ${hex(sext(imm8, 8) & (size === 16 ? 0xffff : 0xffffffff))}`,
          'PUSH',
          { size },
          [...osize(size), 0x6a, imm8],
        ),
      );
      b = onStack(rng, stackOff(rng, s, M));
      const imm = value(rng, size);
      out.push(
        b.build(`push${w === 'w' ? ' word' : ''} ${hex(imm)}`, 'PUSH', { size }, [
          ...osize(size),
          0x68,
          ...le(imm, s),
        ]),
      );
    }
    for (let i = 0; i < 60; i++) {
      // FF /6 PUSH r/m and 8F /0 POP r/m, through general addressing forms.
      let b = onStack(rng, stackOff(rng, s, M));
      let op = b.rm(size, 0.7, [0, 1, 2, 3, 5, 6, 7]);
      if (op.memOffset === undefined) b.put(size, op, value(rng, size));
      out.push(b.build(`push ${op.text}`, 'PUSH', { size }, [...osize(size), 0xff, ...modrmBytes(6, op)]));
      b = onStack(rng, stackOff(rng, 0, M - s));
      op = b.rm(size, 0.7, [0, 1, 2, 3, 5, 6, 7]);
      out.push(b.build(`pop ${op.text}`, 'POP', { size }, [...osize(size), 0x8f, ...modrmBytes(0, op)]));
    }
    for (let i = 0; i < 30; i++) {
      // [ESP+d8]: PUSH computes the address before the decrement, POP after the increment
      // (SDM Vol. 2B "POP", Description).
      const espOff = stackOff(rng, s, M - s);
      let b = onStack(rng, espOff);
      let d = rng.int(-espOff, M - s - espOff);
      out.push(
        b.build(
          `push ${size === 16 ? 'word' : 'dword'} [esp${d < 0 ? '-' : '+'}${hex(Math.abs(d))}]`,
          'PUSH',
          { size },
          [...osize(size), 0xff, modrm(1, 6, 4), 0x24, d & 0xff],
        ),
      );
      b = onStack(rng, espOff - s);
      d = rng.int(-espOff, M - s - espOff);
      out.push(
        b.build(
          `pop ${size === 16 ? 'word' : 'dword'} [esp${d < 0 ? '-' : '+'}${hex(Math.abs(d))}]`,
          'POP',
          { size },
          [...osize(size), 0x8f, modrm(1, 0, 4), 0x24, d & 0xff],
        ),
      );
    }
    for (let i = 0; i < 60; i++) {
      // 9C PUSHF(D), 9D POPF(D).
      let b = onStack(rng, stackOff(rng, s, M));
      out.push(b.build(`pushf${size === 32 ? 'd' : ''}`, 'PUSHF', { size }, [...osize(size), 0x9c]));
      const off = stackOff(rng, 0, M - s);
      b = onStack(rng, off);
      b.write(off, s, popfValue(rng));
      out.push(b.build(`popf${size === 32 ? 'd' : ''}`, 'POPF', { size }, [...osize(size), 0x9d]));
    }
    for (let i = 0; i < 50; i++) {
      // 60 PUSHA(D) pushes 8 registers (the original ESP among them), 61 POPA(D) pops 8 and discards the ESP slot.
      let b = onStack(rng, stackOff(rng, 8 * s, M));
      for (let r = 0; r < 8; r++) if (r !== ESP) b.set(32, r, value(rng, 32));
      out.push(b.build(`pusha${size === 32 ? 'd' : ''}`, 'PUSHA', { size }, [...osize(size), 0x60]));
      b = onStack(rng, stackOff(rng, 0, M - 8 * s));
      for (let r = 0; r < 8; r++) if (r !== ESP) b.set(32, r, rng.u32());
      out.push(b.build(`popa${size === 32 ? 'd' : ''}`, 'POPA', { size }, [...osize(size), 0x61]));
    }
    for (let i = 0; i < 80; i++) {
      // C8 iw ib ENTER size, level: pushes EBP, copies level-1 frame pointers from [EBP-s*i],
      // pushes the new frame pointer; the level is taken modulo 32.
      const levelByte = rng.chance(0.1) ? rng.pick([32, 33, 34]) : rng.int(0, 4);
      const level = levelByte & 31;
      const pushes = level === 0 ? 1 : level + 1;
      const espOff = stackOff(rng, pushes * 4, M);
      const b = onStack(rng, espOff);
      const ebpOff = rng.int(Math.max(0, level - 1) * 4, M);
      b.set(
        32,
        EBP,
        level > 1 ? LAYOUT.memBase + ebpOff : rng.chance(0.5) ? LAYOUT.memBase + ebpOff : rng.u32(),
      );
      // The recorded host probes the final ESP (a #PF when it is unmapped, though nothing is
      // written), so the allocation keeps it inside the buffer.
      const room = espOff - pushes * 4;
      const alloc = Math.min(room, rng.pick([0, 4, 8, rng.int(0, room)]));
      out.push(
        b.build(`enter${size === 16 ? 'w' : ''} ${hex(alloc)},${hex(levelByte)}`, 'ENTER', { size }, [
          ...osize(size),
          0xc8,
          ...le(alloc, 2),
          levelByte,
        ]),
      );
    }
    for (let i = 0; i < 60; i++) {
      // C9 LEAVE: ESP = EBP, then POP EBP.
      const b = onStack(rng, rng.int(0, M));
      b.set(32, EBP, LAYOUT.memBase + stackOff(rng, 0, M - s));
      out.push(b.build(`leave${size === 16 ? 'w' : ''}`, 'LEAVE', { size }, [...osize(size), 0xc9]));
    }
  }
  return out;
}

function generateBound(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const size of [32, 16] as const) {
    const s = size / 8;
    const mask = size === 32 ? 0xffffffff : 0xffff;
    for (let i = 0; i < 220; i++) {
      // 62 /r BOUND r, m: signed lower and upper bounds in memory; index outside = #BR (vector 5).
      const b = new CaseBuilder(rng);
      let lo = sext(value(rng, size), size);
      let hi = sext(value(rng, size), size);
      if (lo > hi && rng.chance(0.8)) [lo, hi] = [hi, lo];
      const pick = rng.int(0, 6);
      const index = [lo, hi, lo - 1, hi + 1, Math.floor((lo + hi) / 2), sext(value(rng, size), size), lo + 1][
        pick
      ] as number;
      const r = rng.pick([0, 1, 2, 3, 5, 6, 7]);
      b.set(size, r, index & mask);
      const op = b.mem32((2 * size) as 32 | 64);
      b.write(op.memOffset as number, s, lo & mask).write((op.memOffset as number) + s, s, hi & mask);
      out.push(
        b.build(`bound ${regName(size, r)},${op.text}`, 'BOUND', { size }, [
          ...osize(size),
          0x62,
          ...modrmBytes(r, op),
        ]),
      );
    }
  }
  return out;
}

export const STACK_FAMILIES: Family[] = [
  {
    name: 'stack',
    description:
      'PUSH/POP (r, imm, r/m, [esp+d], ESP itself), PUSHF/POPF, PUSHA/POPA, ENTER (levels 0-4, 32+), LEAVE; 32- and 16-bit operand size; ESP in the buffer',
    generate: generateStack,
  },
  {
    name: 'bound',
    description: 'BOUND r16/r32 against memory bounds: in range, on the bounds, out of range (#BR)',
    generate: generateBound,
  },
];
