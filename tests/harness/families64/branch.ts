// 64-bit near branches whose outcome is a fact of the CPU, given the fixed code address
// (LAYOUT.codeBase): CALL rel32 (pushes the 64-bit return address), CALL/JMP r64 and m64
// (FF /2, FF /4, with R8-R15 and RIP-relative operands), JMP rel8/rel32, RET and RET imm16
// (C3, C2). Every target is the end of the case's code. The operand size of near branches
// is 64 bits whatever 66 says on Intel but not on AMD, so 66-prefixed branches are left out,
// as are non-canonical targets (Intel faults on the branch, AMD on the fetch after it).

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import { LAYOUT } from '../fixture-format.ts';
import { Builder64, RSP, encode, hx, le64, u64, type CaseSpec64 } from '../lib/x86-64.ts';

const MOV_AL_1 = [0xb0, 0x01];

/** RSP inside the buffer with `below` bytes under it for pushes and `above` over it for pops. */
function stack(b: Builder64, below: number, above: number): number {
  const o = b.rng.int(below, LAYOUT.memSize - above);
  b.memory();
  b.set(64, RSP, BigInt(LAYOUT.memBase + o));
  return o;
}

function generateBranch(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (let i = 0; i < 120; i++) {
    const b = new Builder64(rng);
    stack(b, 8, 0);
    b.set(8, 0, 0n);
    out.push(b.build('call +2; mov al,1', 'CALL', { size: 64 }, [0xe8, 0x02, 0x00, 0x00, 0x00, ...MOV_AL_1]));
  }
  for (const [name, sub] of [
    ['call', 2],
    ['jmp', 4],
  ] as const)
    for (let i = 0; i < 320; i++) {
      const b = new Builder64(rng);
      stack(b, name === 'call' ? 8 : 0, 0);
      const mem = i % 2 === 1;
      const op = mem ? b.memOp(64) : b.reg(64, b.pickReg(64));
      // The target is the end of the code, which is known once the code is: encode with a
      // placeholder value first (the register or buffer value does not change the length).
      const code = encode({ opcode: [0xff], reg: sub, op });
      const target = BigInt(LAYOUT.codeBase + code.length);
      b.put(64, op, target);
      out.push(b.build(`${name} ${op.text}`, name === 'call' ? 'CALL' : 'JMP', { size: 64 }, code));
    }
  for (const near of [false, true])
    for (let i = 0; i < 60; i++) {
      const b = new Builder64(rng);
      b.set(64, 0, u64(rng));
      const code = near ? [0xe9, 0x02, 0x00, 0x00, 0x00, ...MOV_AL_1] : [0xeb, 0x02, ...MOV_AL_1];
      out.push(b.build(`jmp ${near ? 'near ' : ''}+2; mov al,1`, 'JMP', { size: 64 }, code));
    }
  for (const imm of [undefined, 0, 8, 0x18, 0xfff8] as const)
    for (let i = 0; i < 60; i++) {
      const b = new Builder64(rng);
      const pops = 8 + (imm !== undefined && imm < 0x100 ? imm : 0);
      const o = stack(b, 0, Math.min(pops, LAYOUT.memSize));
      const code = imm === undefined ? [0xc3] : [0xc2, ...le64(imm, 2)];
      b.write(o, 8, BigInt(LAYOUT.codeBase + code.length));
      out.push(b.build(imm === undefined ? 'ret' : `ret ${hx(imm)}`, 'RET', { size: 64 }, code));
    }
  return out;
}

export const BRANCH64_FAMILIES: Family64[] = [
  {
    name: 'branch64',
    description:
      '64-bit mode: CALL rel32, CALL/JMP r64 and m64 (R8-R15, RIP-relative), JMP rel8/rel32, RET, RET imm16',
    generate: generateBranch,
  },
];
