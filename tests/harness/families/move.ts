// Data movement with a twist: MOVZX/MOVSX, LEA over every 32-bit ModRM/SIB form and every
// 16-bit (0x67) form (SDM Vol. 2A §2.1.5, Tables 2-1, 2-2, 2-3), CBW/CWDE/CWD/CDQ, XLAT.

import type { Family } from '../gen-cases.ts';
import type { Rng } from '../lib/rng.ts';
import { LAYOUT } from '../fixture-format.ts';
import {
  CaseBuilder,
  EAX,
  EBX,
  EDX,
  hex,
  le,
  modrm,
  modrmBytes,
  osize,
  regName,
  smallValue,
  value,
  type CaseSpec,
  type Size,
} from '../lib/x86.ts';

function generateMovx(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  const forms: [string, number, Size, Size][] = [
    ['MOVZX', 0xb6, 32, 8],
    ['MOVZX', 0xb6, 16, 8],
    ['MOVZX', 0xb7, 32, 16],
    ['MOVZX', 0xb7, 16, 16],
    ['MOVSX', 0xbe, 32, 8],
    ['MOVSX', 0xbe, 16, 8],
    ['MOVSX', 0xbf, 32, 16],
    ['MOVSX', 0xbf, 16, 16],
  ];
  for (const [name, opcode, dsize, ssize] of forms) {
    for (let i = 0; i < 80; i++) {
      const b = new CaseBuilder(rng);
      const d = rng.int(0, 7);
      b.set(32, d, rng.u32());
      const op = b.rm(ssize, 0.3);
      b.put(ssize, op, value(rng, ssize, 0.5));
      out.push(
        b.build(`${name.toLowerCase()} ${regName(dsize, d)},${op.text}`, name, { size: dsize }, [
          ...osize(dsize),
          0x0f,
          opcode,
          ...modrmBytes(d, op),
        ]),
      );
    }
  }
  return out;
}

/** Random register contents for LEA: any value, small ones, edges (address arithmetic wraps). */
function addressRegs(b: CaseBuilder, rng: Rng): void {
  for (let n = 0; n < 8; n++) {
    const k = rng.int(0, 3);
    b.set(32, n, k === 0 ? smallValue(rng, 32) : k === 1 ? value(rng, 32, 1) : rng.u32());
  }
}

const disp = (d: number): string => (d < 0 ? `-${hex(-d)}` : `+${hex(d)}`);

/** LEA r, m with 32-bit addressing: ModRM mod/rm (and SIB when rm = 100b). */
function lea32(rng: Rng, dsize: Size, mod: number, rm: number, sib: number): CaseSpec {
  const b = new CaseBuilder(rng);
  addressRegs(b, rng);
  const d = rng.int(0, 7);
  const code = [...osize(dsize), 0x8d, modrm(mod, d, rm)];
  const parts: string[] = [];
  let dispBytes = mod === 1 ? 1 : mod === 2 ? 4 : 0;
  if (rm === 4) {
    code.push(sib);
    const base = sib & 7;
    const index = (sib >> 3) & 7;
    if (mod === 0 && base === 5) dispBytes = 4;
    else parts.push(regName(32, base));
    if (index !== 4) parts.push(`${regName(32, index)}*${1 << (sib >> 6)}`);
  } else if (mod === 0 && rm === 5) {
    dispBytes = 4;
  } else {
    parts.push(regName(32, rm));
  }
  const dv =
    dispBytes === 1
      ? rng.int(-128, 127)
      : dispBytes === 4
        ? rng.chance(0.5)
          ? rng.int(-0x10000, 0x10000)
          : rng.u32() | 0
        : 0;
  code.push(...le(dv, dispBytes));
  const text = `${parts.join('+')}${dispBytes ? (parts.length ? disp(dv) : hex(dv)) : ''}`;
  const sibNote = rm === 4 && ((sib >> 3) & 7) === 4 && sib >> 6 ? ` (sib ${hex(sib)})` : '';
  return b.build(`lea ${regName(dsize, d)},[${text}]${sibNote}`, 'LEA', { size: dsize }, code);
}

const ADDR16 = ['bx+si', 'bx+di', 'bp+si', 'bp+di', 'si', 'di', 'bp', 'bx'];

/** LEA r, m with 16-bit addressing (0x67): the offset wraps at 64 KiB. */
function lea16(rng: Rng, dsize: Size, mod: number, rm: number): CaseSpec {
  const b = new CaseBuilder(rng);
  addressRegs(b, rng);
  const d = rng.int(0, 7);
  const code = [0x67, ...osize(dsize), 0x8d, modrm(mod, d, rm)];
  const dispBytes = mod === 1 ? 1 : mod === 2 || (mod === 0 && rm === 6) ? 2 : 0;
  const dv = dispBytes === 1 ? rng.int(-128, 127) : dispBytes === 2 ? rng.int(0, 0xffff) : 0;
  code.push(...le(dv, dispBytes));
  const text = mod === 0 && rm === 6 ? hex(dv) : `${ADDR16[rm]}${dispBytes ? disp(dv) : ''}`;
  return b.build(`lea ${regName(dsize, d)},[${text}] (a16)`, 'LEA', { size: dsize }, code);
}

function generateLea(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (let mod = 0; mod < 3; mod++) {
    for (let rm = 0; rm < 8; rm++) {
      if (rm === 4) {
        for (let sib = 0; sib < 256; sib++)
          for (let rep = 0; rep < 2; rep++) out.push(lea32(rng, 32, mod, rm, sib));
      } else {
        for (let rep = 0; rep < 6; rep++) out.push(lea32(rng, 32, mod, rm, 0));
      }
      for (let rep = 0; rep < 12; rep++) out.push(lea16(rng, 32, mod, rm));
      for (let rep = 0; rep < 4; rep++) out.push(lea16(rng, 16, mod, rm));
    }
  }
  for (let i = 0; i < 200; i++) {
    const mod = rng.int(0, 2);
    const rm = rng.int(0, 7);
    out.push(lea32(rng, 16, mod, rm, rng.int(0, 255)));
  }
  // LEA with a register operand (mod = 11b) is #UD (SDM Vol. 2A "LEA", Protected Mode Exceptions).
  for (const m of [0xc0, 0xc9, 0xd8, 0xff]) {
    const b = new CaseBuilder(rng);
    out.push(
      b.build(`lea ${regName(32, (m >> 3) & 7)},${regName(32, m & 7)} (#UD)`, 'LEA', { size: 32 }, [0x8d, m]),
    );
  }
  return out;
}

function generateConvert(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  // [mnemonic, bytes, source size, destination size]
  const forms: [string, number[], Size, Size][] = [
    ['CBW', [0x66, 0x98], 8, 16],
    ['CWDE', [0x98], 16, 32],
    ['CWD', [0x66, 0x99], 16, 16],
    ['CDQ', [0x99], 32, 32],
  ];
  for (const [name, code, ssize, dsize] of forms) {
    for (let i = 0; i < 100; i++) {
      const b = new CaseBuilder(rng);
      b.set(32, EAX, rng.u32()).set(32, EDX, rng.u32());
      b.set(ssize, EAX, value(rng, ssize, 0.5));
      out.push(b.build(name.toLowerCase(), name, { size: dsize }, code));
    }
  }
  return out;
}

function generateXlat(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (let i = 0; i < 150; i++) {
    // AL <- [EBX + zero-extended AL] (SDM Vol. 2D "XLAT/XLATB"): aim EBX so the byte is in the buffer.
    const b = new CaseBuilder(rng);
    b.memory();
    const al = rng.chance(0.3) ? rng.pick([0, 0x7f, 0x80, 0xff]) : rng.int(0, 255);
    const target = rng.int(0, 63);
    b.set(8, EAX, al).set(32, EBX, LAYOUT.memBase + target - al);
    out.push(b.build('xlat', 'XLAT', { size: 8 }, [0xd7]));
  }
  return out;
}

export const MOVE_FAMILIES: Family[] = [
  {
    name: 'movx',
    description: 'MOVZX/MOVSX 0F B6/B7/BE/BF into 16/32-bit registers, register and memory source',
    generate: generateMovx,
  },
  {
    name: 'lea',
    description:
      'LEA: every 32-bit ModRM/SIB form, every 16-bit (0x67) form, 16-bit destinations, register operand (#UD)',
    generate: generateLea,
  },
  { name: 'convert', description: 'CBW CWDE CWD CDQ', generate: generateConvert },
  { name: 'xlat', description: 'XLAT (D7)', generate: generateXlat },
];
