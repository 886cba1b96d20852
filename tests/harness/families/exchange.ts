// Exchanges: XCHG (86/87 and 90+r), XADD, CMPXCHG, CMPXCHG8B (memory only; the register
// form is #UD, SDM Vol. 2A "CMPXCHG8B/CMPXCHG16B", Protected Mode Exceptions).

import type { Family } from '../gen-cases.ts';
import type { Rng } from '../lib/rng.ts';
import {
  CaseBuilder,
  EAX,
  EBX,
  ECX,
  EDX,
  SIZES,
  modrmBytes,
  osize,
  regName,
  value,
  type CaseSpec,
} from '../lib/x86.ts';

const LOCK = 0xf0;

function generateXchg(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const size of SIZES) {
    // 86/87: XCHG r/m, r (a memory operand is implicitly locked).
    for (let i = 0; i < 120; i++) {
      const b = new CaseBuilder(rng);
      const r = rng.int(0, 7);
      b.set(size, r, value(rng, size));
      const op = b.rm(size, 0.3);
      b.put(size, op, value(rng, size));
      out.push(
        b.build(`xchg ${op.text},${regName(size, r)}`, 'XCHG', { size }, [
          ...osize(size),
          size === 8 ? 0x86 : 0x87,
          ...modrmBytes(r, op),
        ]),
      );
    }
    if (size === 8) continue;
    // 90+r: XCHG (E)AX, r; 90 itself is NOP (SDM Vol. 2B "NOP").
    for (let r = 0; r < 8; r++) {
      for (let i = 0; i < 12; i++) {
        const b = new CaseBuilder(rng);
        b.set(size, EAX, value(rng, size));
        if (r !== EAX) b.set(size, r, value(rng, size));
        out.push(
          b.build(`xchg ${regName(size, EAX)},${regName(size, r)}`, 'XCHG', { size }, [
            ...osize(size),
            0x90 + r,
          ]),
        );
      }
    }
  }
  return out;
}

function generateXadd(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const size of SIZES) {
    for (let i = 0; i < 220; i++) {
      const b = new CaseBuilder(rng);
      const r = rng.int(0, 7);
      b.set(size, r, value(rng, size));
      const op = b.rm(size, 0.3);
      b.put(size, op, value(rng, size));
      const lock = op.memOffset !== undefined && rng.chance(0.3);
      out.push(
        b.build(`${lock ? 'lock ' : ''}xadd ${op.text},${regName(size, r)}`, 'XADD', { size }, [
          ...(lock ? [LOCK] : []),
          ...osize(size),
          0x0f,
          size === 8 ? 0xc0 : 0xc1,
          ...modrmBytes(r, op),
        ]),
      );
    }
  }
  return out;
}

function generateCmpxchg(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const size of SIZES) {
    for (let i = 0; i < 260; i++) {
      const b = new CaseBuilder(rng);
      const src = rng.int(0, 7);
      b.set(size, src, value(rng, size));
      b.reserve(EAX);
      const op = b.rm(size, 0.35);
      const dest = value(rng, size);
      b.put(size, op, dest);
      // Half the cases compare equal (the destination gets the source), half do not
      // (the accumulator gets the destination). A register destination may be AL/AX/EAX itself.
      const destIsAcc = op.memOffset === undefined && op.rm === EAX;
      const srcIsAcc = src === EAX;
      if (!destIsAcc && !srcIsAcc) b.set(size, EAX, rng.chance(0.5) ? dest : value(rng, size));
      const lock = op.memOffset !== undefined && rng.chance(0.3);
      out.push(
        b.build(`${lock ? 'lock ' : ''}cmpxchg ${op.text},${regName(size, src)}`, 'CMPXCHG', { size }, [
          ...(lock ? [LOCK] : []),
          ...osize(size),
          0x0f,
          size === 8 ? 0xb0 : 0xb1,
          ...modrmBytes(src, op),
        ]),
      );
    }
  }
  // CMPXCHG8B m64: EDX:EAX against m64; equal: m64 = ECX:EBX, else EDX:EAX = m64.
  for (let i = 0; i < 320; i++) {
    const b = new CaseBuilder(rng);
    b.set(32, EBX, value(rng, 32)).set(32, ECX, value(rng, 32)).reserve(EAX, EDX);
    const op = b.mem32(64, rng.int(0, 56));
    const off = op.memOffset as number;
    const lo = b.read(off, 4);
    const hi = b.read(off + 4, 4);
    const kind = rng.int(0, 3); // equal, low differs, high differs, both differ
    b.set(32, EAX, kind === 1 || kind === 3 ? value(rng, 32) : lo);
    b.set(32, EDX, kind === 2 || kind === 3 ? value(rng, 32) : hi);
    const lock = rng.chance(0.3);
    out.push(
      b.build(`${lock ? 'lock ' : ''}cmpxchg8b ${op.text}`, 'CMPXCHG8B', { size: 32 }, [
        ...(lock ? [LOCK] : []),
        0x0f,
        0xc7,
        ...modrmBytes(1, op),
      ]),
    );
  }
  for (let r = 0; r < 8; r += 3) {
    const b = new CaseBuilder(rng);
    out.push(b.build(`cmpxchg8b ${regName(32, r)} (#UD)`, 'CMPXCHG8B', { size: 32 }, [0x0f, 0xc7, 0xc8 | r]));
  }
  return out;
}

export const EXCHANGE_FAMILIES: Family[] = [
  {
    name: 'xchg',
    description: 'XCHG 86/87 (register and memory) and 90+r, 8/16/32-bit',
    generate: generateXchg,
  },
  {
    name: 'xadd',
    description: 'XADD 0F C0/C1, 8/16/32-bit, register and memory, with and without LOCK',
    generate: generateXadd,
  },
  {
    name: 'cmpxchg',
    description:
      'CMPXCHG 0F B0/B1 (equal and not equal) and CMPXCHG8B m64, with and without LOCK; register CMPXCHG8B (#UD)',
    generate: generateCmpxchg,
  },
];
