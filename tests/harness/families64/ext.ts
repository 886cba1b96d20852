// The integer extensions in 64-bit mode, each its own family: POPCNT (F3 0F B8), LZCNT/TZCNT
// (F3 0F BD/BC), MOVBE (0F 38 F0/F1), BMI1 (ANDN BEXTR BLSI BLSMSK BLSR, VEX), BMI2 (BZHI PDEP
// PEXT MULX RORX SARX SHLX SHRX, VEX), ADX (ADCX 66 0F 38 F6, ADOX F3 0F 38 F6), CMPXCHG16B
// (REX.W 0F C7 /1: aligned m128, misaligned #GP(0), register form #UD). SDM Vol. 2A/2B pages
// of each instruction; CPUID flags of the host: popcnt abm movbe bmi1 bmi2 adx cx16.

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import { CF, OF } from '../../fixtures/cpu/undefined-flags.ts';
import {
  Builder64,
  RAX,
  RBX,
  RCX,
  RDX,
  destOf64,
  encode,
  encodeVex,
  grouped,
  hx,
  mask64,
  regName64,
  sizePre,
  u64,
  value64,
  type CaseSpec64,
  type Size64,
} from '../lib/x86-64.ts';

const P_MEM = 0.3;
const SIZES: Size64[] = [16, 32, 64];

/** A value with a run of zero bits at the top or bottom now and then (count instructions). */
function countValue(rng: Rng, size: Size64): bigint {
  const v = value64(rng, size);
  const roll = rng.int(0, 3);
  if (roll === 0) return v >> BigInt(rng.int(0, size));
  if (roll === 1) return (v << BigInt(rng.int(0, size))) & mask64(size);
  return v;
}

function countFamily(rng: Rng, tag: string, ops: [string, number][]): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const [name, opcode] of ops)
    for (const size of SIZES)
      out.push(
        ...grouped(rng, `${tag}/${name}/${size}`, 40, 10, (s) => {
          const b = new Builder64(rng, s);
          const r = b.pickReg(size, true);
          b.set(64, r, u64(rng));
          const op = b.rm(size, P_MEM);
          b.put(size, op, countValue(rng, size));
          const { pre, w } = sizePre(size);
          const code = encode({ pre: [...pre, 0xf3], w, opcode: [0x0f, opcode], reg: r, op });
          return b.build(`${name.toLowerCase()} ${regName64(size, r)},${op.text}`, name, { size }, code);
        }),
      );
  return out;
}

function generateMovbe(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const size of SIZES)
    for (const store of [false, true])
      out.push(
        ...grouped(rng, `movbe/${size}/${store}`, 40, 10, (s) => {
          const b = new Builder64(rng, s);
          const r = b.pickReg(size, true);
          b.set(64, r, u64(rng));
          b.reserve(r);
          const op = b.memOp(size);
          b.put(size, op, value64(rng, size));
          const code = encode({ ...sizePre(size), opcode: [0x0f, 0x38, store ? 0xf1 : 0xf0], reg: r, op });
          const text = store
            ? `movbe ${op.text},${regName64(size, r)}`
            : `movbe ${regName64(size, r)},${op.text}`;
          return b.build(text, 'MOVBE', { size }, code);
        }),
      );
  return out;
}

/** VEX forms: which operand is in ModRM.reg (dest), VEX.vvvv and ModRM.r/m. */
interface VexOp {
  name: string;
  map: 2 | 3;
  pp: 0 | 1 | 2 | 3;
  opcode: number;
  /** ModRM.reg holds an opcode extension (BLSI /3 ...): the destination is then VEX.vvvv. */
  ext?: number;
  /** Text order of the operands: d = destination, v = vvvv, m = r/m. */
  order: string;
  imm?: boolean;
  /** The second source (vvvv) value: a control word (BEXTR start/length, BZHI index, shift count). */
  control?: (rng: Rng, size: Size64) => bigint;
}

const BMI1: VexOp[] = [
  { name: 'ANDN', map: 2, pp: 0, opcode: 0xf2, order: 'dvm' },
  {
    name: 'BEXTR',
    map: 2,
    pp: 0,
    opcode: 0xf7,
    order: 'dmv',
    control: (r, size) =>
      BigInt(r.int(0, size + 8) | (r.int(0, size + 8) << 8)) |
      (r.chance(0.2) ? u64(r) & mask64(size) & ~0xffffn : 0n),
  },
  { name: 'BLSI', map: 2, pp: 0, opcode: 0xf3, ext: 3, order: 'vm' },
  { name: 'BLSMSK', map: 2, pp: 0, opcode: 0xf3, ext: 2, order: 'vm' },
  { name: 'BLSR', map: 2, pp: 0, opcode: 0xf3, ext: 1, order: 'vm' },
];
const shiftCount = (r: Rng, size: Size64): bigint =>
  r.chance(0.7) ? BigInt(r.int(0, size + 8)) : value64(r, size);
const BMI2: VexOp[] = [
  {
    name: 'BZHI',
    map: 2,
    pp: 0,
    opcode: 0xf5,
    order: 'dmv',
    control: (r, size) => (r.chance(0.8) ? BigInt(r.int(0, size + 8)) : value64(r, size)),
  },
  { name: 'PDEP', map: 2, pp: 3, opcode: 0xf5, order: 'dvm' },
  { name: 'PEXT', map: 2, pp: 2, opcode: 0xf5, order: 'dvm' },
  { name: 'MULX', map: 2, pp: 3, opcode: 0xf6, order: 'dvm' },
  { name: 'RORX', map: 3, pp: 3, opcode: 0xf0, order: 'dm', imm: true },
  { name: 'SARX', map: 2, pp: 2, opcode: 0xf7, order: 'dmv', control: shiftCount },
  { name: 'SHLX', map: 2, pp: 1, opcode: 0xf7, order: 'dmv', control: shiftCount },
  { name: 'SHRX', map: 2, pp: 3, opcode: 0xf7, order: 'dmv', control: shiftCount },
];

function vexFamily(rng: Rng, tag: string, ops: VexOp[]): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const o of ops)
    for (const size of [32, 64] as Size64[])
      out.push(
        ...grouped(rng, `${tag}/${o.name}/${size}`, 50, 10, (s) => {
          const b = new Builder64(rng, s);
          if (o.name === 'MULX') b.reserve(RDX).set(64, RDX, value64(rng, 64));
          const d = b.pickReg(size, true);
          b.set(64, d, u64(rng));
          const v = o.order.includes('v') ? b.pickReg(size, true) : 0;
          if (o.order.includes('v'))
            b.set(64, v, u64(rng)).set(size, v, o.control ? o.control(rng, size) : value64(rng, size));
          b.reserve(d, v);
          const op = b.rm(size, P_MEM);
          b.put(size, op, value64(rng, size));
          if (op.n === v && o.control) b.set(size, v, o.control(rng, size));
          const imm = o.imm ? [s.int(0, 255)] : undefined;
          const code = encodeVex({
            map: o.map,
            pp: o.pp,
            w: size === 64,
            vvvv: v,
            opcode: o.opcode,
            reg: o.ext ?? d,
            op,
            imm,
          });
          const names: Record<string, string> = { d: regName64(size, d), v: regName64(size, v), m: op.text };
          const text = `${o.name.toLowerCase()} ${[...o.order].map((c) => names[c]).join(',')}${imm ? `,${hx(imm[0] as number)}` : ''}`;
          return b.build(
            text,
            o.name,
            { size, ...(o.ext !== undefined ? { dest: destOf64(b.reg(size, v)).dest } : {}) },
            code,
          );
        }),
      );
  return out;
}

function generateAdx(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const [name, p] of [
    ['ADCX', 0x66],
    ['ADOX', 0xf3],
  ] as const)
    for (const size of [32, 64] as Size64[])
      out.push(
        ...grouped(rng, `adx/${name}/${size}`, 50, 10, (s) => {
          const b = new Builder64(rng, s);
          const r = b.pickReg(size, true);
          b.set(64, r, u64(rng)).set(size, r, value64(rng, size));
          const op = b.rm(size, P_MEM);
          b.put(size, op, value64(rng, size));
          if (rng.chance(0.5)) b.flags(name === 'ADCX' ? CF : OF);
          else b.flags(0, name === 'ADCX' ? CF : OF);
          const code = encode({ pre: [p], w: size === 64, opcode: [0x0f, 0x38, 0xf6], reg: r, op });
          return b.build(`${name.toLowerCase()} ${regName64(size, r)},${op.text}`, name, { size }, code);
        }),
      );
  return out;
}

function generateCmpxchg16b(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  out.push(
    ...grouped(rng, 'cmpxchg16b', 60, 10, (s, _g, k) => {
      const b = new Builder64(rng, s).reserve(RAX, RDX, RBX, RCX);
      const misaligned = s.chance(0.1);
      const off = misaligned ? s.pick([8, 24, 4, 40]) : s.pick([0, 16, 32, 48]);
      const op = b.memOp(128, off);
      const lo = u64(rng);
      const hi = u64(rng);
      b.write(off, 8, lo).write(off + 8, 8, hi);
      const eq = k % 2 === 0;
      b.set(64, RAX, eq ? lo : rng.chance(0.5) ? lo ^ 1n : u64(rng)).set(
        64,
        RDX,
        eq || rng.chance(0.5) ? hi : u64(rng),
      );
      b.set(64, RBX, u64(rng)).set(64, RCX, u64(rng));
      const lock = s.chance(0.5);
      return b.build(
        `${lock ? 'lock ' : ''}cmpxchg16b ${op.text}`,
        'CMPXCHG16B',
        { size: 64 },
        encode({ pre: lock ? [0xf0] : [], w: true, opcode: [0x0f, 0xc7], reg: 1, op }),
      );
    }),
  );
  for (let i = 0; i < 4; i++)
    out.push(
      new Builder64(rng).build('cmpxchg16b (register form)', 'CMPXCHG16B', { size: 64 }, [
        0x48,
        0x0f,
        0xc7,
        0xc8 + i,
      ]),
    );
  return out;
}

export const EXT64_FAMILIES: Family64[] = [
  {
    name: 'popcnt64',
    description: '64-bit mode: POPCNT r16/32/64',
    generate: (rng) => countFamily(rng, 'popcnt', [['POPCNT', 0xb8]]),
  },
  {
    name: 'lzcnt64',
    description: '64-bit mode: LZCNT and TZCNT r16/32/64, zero sources',
    generate: (rng) =>
      countFamily(rng, 'lzcnt', [
        ['LZCNT', 0xbd],
        ['TZCNT', 0xbc],
      ]),
  },
  {
    name: 'movbe64',
    description: '64-bit mode: MOVBE load and store, 16/32/64-bit',
    generate: generateMovbe,
  },
  {
    name: 'bmi1-64',
    description: '64-bit mode: ANDN BEXTR BLSI BLSMSK BLSR (VEX), 32/64-bit',
    generate: (rng) => vexFamily(rng, 'bmi1', BMI1),
  },
  {
    name: 'bmi2-64',
    description: '64-bit mode: BZHI PDEP PEXT MULX RORX SARX SHLX SHRX (VEX), 32/64-bit',
    generate: (rng) => vexFamily(rng, 'bmi2', BMI2),
  },
  { name: 'adx64', description: '64-bit mode: ADCX/ADOX 32/64-bit with CF/OF in', generate: generateAdx },
  {
    name: 'cmpxchg16b',
    description:
      '64-bit mode: CMPXCHG16B equal/not equal, with LOCK; misaligned m128 (#GP); register form (#UD)',
    generate: generateCmpxchg16b,
  },
];
