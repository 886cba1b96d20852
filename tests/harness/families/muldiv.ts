// Multiply and divide: MUL/IMUL in the one-, two- and three-operand forms, DIV/IDIV with
// quotients that fit, quotients on and just past the boundary, and divisors of 0 (#DE,
// SDM Vol. 2A "DIV—Unsigned Divide" / "IDIV—Signed Divide", Protected Mode Exceptions).

import type { Family } from '../gen-cases.ts';
import type { Rng } from '../lib/rng.ts';
import {
  CaseBuilder,
  EAX,
  EBP,
  EBX,
  ECX,
  EDI,
  EDX,
  ESI,
  SIZES,
  hex,
  le,
  maskOf,
  modrmBytes,
  osize,
  regName,
  sext,
  smallValue,
  value,
  type CaseSpec,
  type Operand,
  type Size,
} from '../lib/x86.ts';

const P_MEM = 0.25;
const operandValue = (rng: Rng, size: Size): number =>
  rng.chance(0.35) ? smallValue(rng, size) : value(rng, size);

function generateMul(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const size of SIZES) {
    for (const [name, sub] of [
      ['MUL', 4],
      ['IMUL', 5],
    ] as const) {
      // F6/F7 /4 /5: AL/AX/EAX times r/m into AX, DX:AX or EDX:EAX.
      for (let i = 0; i < 220; i++) {
        const b = new CaseBuilder(rng);
        b.set(size, EAX, operandValue(rng, size));
        if (size !== 8) b.reserve(EDX);
        const op = b.rm(size, P_MEM);
        if (op.memOffset !== undefined || op.rm !== EAX) b.put(size, op, operandValue(rng, size));
        out.push(
          b.build(`${name.toLowerCase()} ${op.text}`, name, { size }, [
            ...osize(size),
            size === 8 ? 0xf6 : 0xf7,
            ...modrmBytes(sub, op),
          ]),
        );
      }
    }
    if (size === 8) continue;
    for (let i = 0; i < 200; i++) {
      // 0F AF: IMUL r, r/m.
      const b = new CaseBuilder(rng);
      const r = rng.int(0, 7);
      b.set(size, r, operandValue(rng, size));
      const op = b.rm(size, P_MEM);
      b.put(size, op, operandValue(rng, size));
      out.push(
        b.build(`imul ${regName(size, r)},${op.text}`, 'IMUL', { size }, [
          ...osize(size),
          0x0f,
          0xaf,
          ...modrmBytes(r, op),
        ]),
      );
    }
    for (const opcode of [0x6b, 0x69]) {
      // 6B: IMUL r, r/m, imm8 (sign-extended); 69: IMUL r, r/m, imm16/32.
      for (let i = 0; i < 150; i++) {
        const b = new CaseBuilder(rng);
        const r = rng.int(0, 7);
        b.set(size, r, rng.u32()); // only written, but a memory operand must not use it as a base
        const op = b.rm(size, P_MEM);
        b.put(size, op, operandValue(rng, size));
        const immLen = opcode === 0x6b ? 1 : size / 8;
        const imm = opcode === 0x6b ? operandValue(rng, 8) : operandValue(rng, size);
        const shown = opcode === 0x6b ? sext(imm, 8) & maskOf(size) : imm;
        out.push(
          b.build(`imul ${regName(size, r)},${op.text},${hex(shown)}`, 'IMUL', { size }, [
            ...osize(size),
            opcode,
            ...modrmBytes(r, op),
            ...le(imm, immLen),
          ]),
        );
      }
    }
  }
  return out;
}

type DivMode = 'fit' | 'boundary' | 'zero' | 'overflow' | 'self';

const big = (v: number): bigint => BigInt(v >>> 0);
function randomBig(rng: Rng, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i += 32) v = (v << 32n) | big(rng.u32());
  return v & ((1n << BigInt(bits)) - 1n);
}
const toSigned = (v: bigint, bits: number): bigint =>
  v >= 1n << BigInt(bits - 1) ? v - (1n << BigInt(bits)) : v;
const toUnsigned = (v: bigint, bits: number): bigint => v & ((1n << BigInt(bits)) - 1n);

/** Pick (dividend, divisor) for a mode, as unsigned 2N- and N-bit patterns. */
function divOperands(rng: Rng, signed: boolean, size: Size, mode: DivMode): [bigint, bigint] {
  const n = size;
  const qMax = signed ? (1n << BigInt(n - 1)) - 1n : (1n << BigInt(n)) - 1n;
  const qMin = signed ? -(1n << BigInt(n - 1)) : 0n;
  const nonzeroDivisor = (): bigint => {
    for (;;) {
      const d = rng.chance(0.4) ? big(smallValue(rng, size)) : big(value(rng, size));
      if (d !== 0n) return signed ? toSigned(d, n) : d;
    }
  };
  const build = (q: bigint, d: bigint, rMag: bigint): bigint => {
    const qd = q * d;
    const r = qd < 0n ? -rMag : rMag;
    return qd + r;
  };
  const abs = (x: bigint): bigint => (x < 0n ? -x : x);
  switch (mode) {
    case 'zero':
      return [randomBig(rng, 2 * n), 0n];
    case 'fit': {
      const d = nonzeroDivisor();
      const q = rng.chance(0.5) ? toSigned(randomBig(rng, n), n) : BigInt(sext(smallValue(rng, size), size));
      const qq = signed ? q : toUnsigned(q, n);
      const rMag = randomBig(rng, n) % abs(d);
      return [toUnsigned(build(qq, d, rMag), 2 * n), toUnsigned(d, n)];
    }
    case 'boundary': {
      // Quotients exactly at the limits and one past them, remainders 0 or |d| - 1.
      const d = BigInt(rng.pick([1, 2, 3, 7, 10, 0x7f, 0x80])) * (signed && rng.chance(0.5) ? -1n : 1n);
      const q = rng.pick(signed ? [qMax, qMin, qMax + 1n, qMin - 1n] : [qMax, qMax + 1n, qMax - 1n]);
      const rMag = rng.chance(0.5) ? 0n : abs(d) - 1n;
      return [toUnsigned(build(q, d, rMag), 2 * n), toUnsigned(d, n)];
    }
    case 'overflow': {
      if (signed && rng.chance(0.3))
        return [toUnsigned(-(1n << BigInt(2 * n - 2)), 2 * n), toUnsigned(-1n, n)];
      const d = nonzeroDivisor();
      const q = (qMax + 1n + randomBig(rng, n - 2)) * (signed && rng.chance(0.5) ? -1n : 1n);
      return [toUnsigned(q * d, 2 * n), toUnsigned(d, n)];
    }
    case 'self':
      return [randomBig(rng, 2 * n), randomBig(rng, n)];
  }
}

function generateDiv(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  const modes: [DivMode, number][] = [
    ['fit', 230],
    ['boundary', 70],
    ['zero', 25],
    ['overflow', 45],
    ['self', 30],
  ];
  for (const size of SIZES) {
    for (const [name, sub, signed] of [
      ['DIV', 6, false],
      ['IDIV', 7, true],
    ] as const) {
      for (const [mode, count] of modes) {
        for (let i = 0; i < count; i++) {
          const b = new CaseBuilder(rng);
          const [dividend, divisor] = divOperands(rng, signed, size, mode);
          b.reserve(EAX, EDX);
          const lo = Number(dividend & big(maskOf(size)));
          const hi = Number((dividend >> BigInt(size)) & big(maskOf(size)));
          if (size === 8) b.set(16, EAX, Number(dividend));
          else b.set(size, EAX, lo).set(size, EDX, hi);
          let op: Operand;
          if (mode === 'self') {
            // The divisor is part of the dividend: DIV AH, DIV EAX, IDIV EDX...
            op = b.reg(size, rng.pick(size === 8 ? [0, 4] : [EAX, EDX]));
          } else {
            op = rng.chance(P_MEM)
              ? b.mem32(size)
              : b.reg(size, rng.pick(size === 8 ? [1, 2, 3, 5, 6, 7] : [EBX, ECX, ESI, EDI, EBP]));
            b.put(size, op, Number(divisor));
          }
          out.push(
            b.build(`${name.toLowerCase()} ${op.text}`, name, { size }, [
              ...osize(size),
              size === 8 ? 0xf6 : 0xf7,
              ...modrmBytes(sub, op),
            ]),
          );
        }
      }
    }
  }
  return out;
}

export const MULDIV_FAMILIES: Family[] = [
  {
    name: 'mul',
    description: 'MUL/IMUL F6/F7 /4 /5, IMUL 0F AF, 6B, 69; 8/16/32-bit',
    generate: generateMul,
  },
  {
    name: 'div',
    description:
      'DIV/IDIV F6/F7 /6 /7, 8/16/32-bit: fitting, boundary and overflowing quotients, divide by zero (#DE)',
    generate: generateDiv,
  },
];
