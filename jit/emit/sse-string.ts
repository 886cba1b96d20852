// SSE4.1/4.2 integer instructions computed on the cold path or in a small loop: PCMPxSTRx,
// PHMINPOSUW, MPSADBW (helpers reading the staged source) and CRC32 (a bitwise CRC-32C loop
// in Wasm; SDM Vol. 2A CRC32, polynomial 11EDC6F41H, bit-reflected).
import { STATUS_FLAGS, Reg } from '../../core/cpu/registers.ts';
import { stringCompare, stringIndex, stringMask } from '../../core/simd/strings.ts';
import type { Cpu } from '../../core/cpu/cpu.ts';
import type { BlockContext } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { checkSse, readVecTo, vecReg, type Emit } from './sse-common.ts';
import { Simd, simdMem } from './sse-wasm.ts';

/**
 * Stages operand 1 (16 bytes) in `simdTmp` and runs `fn` with the destination register's
 * number; `writes` names the XMM register the helper writes: the destination, XMM0 (the
 * PCMPxSTRM mask) or none (PCMPxSTRI).
 */
function staged(writes: 'dst' | 'xmm0' | 'none', fn: (cpu: Cpu, dst: number, imm: number, wide: boolean) => void): Emit {
  return (ctx: BlockContext) => {
    checkSse(ctx);
    const v = readVecTo(ctx, 1);
    ctx.fb.i32Const(0).get(v);
    simdMem(ctx.fb, Simd.v128_store, ctx.addr('simdTmp'));
    const dst = vecReg(ctx, 0);
    const imm = ctx.instr.imm & 0xff;
    const wide = ctx.instr.opSize === 8;
    const effect = writes === 'dst' ? [dst] : writes === 'xmm0' ? [0] : [];
    ctx.helper((cpu) => fn(cpu, dst, imm, wide), false, effect);
  };
}

function xmmBytes(cpu: Cpu, reg: number | 'src'): Uint8Array {
  const s = cpu.state;
  const at = reg === 'src' ? s.addr('simdTmp') : s.addr('xmm', 2 * reg);
  return s.u8.slice(at, at + 16);
}

function setXmmBytes(cpu: Cpu, reg: number, bytes: Uint8Array): void {
  cpu.state.u8.set(bytes, cpu.state.addr('xmm', 2 * reg));
}

/** A signed length register: 32 bits, or 64 with REX.W (only its magnitude up to 16 matters). */
function lengthReg(cpu: Cpu, reg: Reg, wide: boolean): number {
  const s = cpu.state;
  if (!wide) return s.i32[s.addr('gpr', reg) >>> 2]!;
  const v = BigInt.asIntN(64, s.get64('gpr', reg));
  return v < -1000n ? -1000 : v > 1000n ? 1000 : Number(v);
}

const pcmpstr = (explicit: boolean, index: boolean): Emit =>
  staged(index ? 'none' : 'xmm0', (cpu, dst, imm, wide) => {
    const s = cpu.state;
    const r = stringCompare({
      a: xmmBytes(cpu, dst),
      b: xmmBytes(cpu, 'src'),
      imm,
      lenA: explicit ? lengthReg(cpu, Reg.RAX, wide) : null,
      lenB: explicit ? lengthReg(cpu, Reg.RDX, wide) : null,
    });
    if (index) s.setLo('gpr', stringIndex(r, imm), Reg.RCX);
    else setXmmBytes(cpu, 0, stringMask(r, imm));
    s.setLo('rflags', (s.getLo('rflags') & ~STATUS_FLAGS) | r.flags);
  });

/** PHMINPOSUW: the least unsigned word and its (first) index; the rest of the register cleared (SDM Vol. 2B PHMINPOSUW). */
const phminposuw = staged('dst', (cpu, dst) => {
  const b = xmmBytes(cpu, 'src');
  let min = 0x10000;
  let at = 0;
  for (let i = 0; i < 8; i++) {
    const w = b[2 * i]! | (b[2 * i + 1]! << 8);
    if (w < min) {
      min = w;
      at = i;
    }
  }
  const out = new Uint8Array(16);
  out[0] = min & 0xff;
  out[1] = min >> 8;
  out[2] = at;
  setXmmBytes(cpu, dst, out);
});

/**
 * MPSADBW: eight sums of absolute differences between a 4-byte block of the source
 * (imm8[1:0] * 4) and sliding 4-byte windows of the destination from imm8[2] * 4 (SDM Vol. 2B MPSADBW).
 */
const mpsadbw = staged('dst', (cpu, dst, imm) => {
  const a = xmmBytes(cpu, dst);
  const b = xmmBytes(cpu, 'src');
  const srcOff = (imm & 3) * 4;
  const dstOff = ((imm >> 2) & 1) * 4;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    let sum = 0;
    for (let k = 0; k < 4; k++) sum += Math.abs(a[dstOff + i + k]! - b[srcOff + k]!);
    out[2 * i] = sum & 0xff;
    out[2 * i + 1] = sum >> 8;
  }
  setXmmBytes(cpu, dst, out);
});

/** The reflected CRC-32C polynomial (SDM Vol. 2A CRC32: 11EDC6F41H). */
const CRC32C_REFLECTED = 0x82f63b78;

/**
 * CRC32 r32/r64, r/m8/16/32/64: the destination's low 32 bits are the running CRC; each
 * source bit is folded in LSB first; the result is zero-extended (SDM Vol. 2A CRC32). A
 * general-purpose instruction: no SSE state checks.
 */
const crc32: Emit = (ctx) => {
  const fb = ctx.fb;
  const src = ctx.operand(1);
  const data = ctx.readTo(src);
  const crc = ctx.i32();
  const d = ctx.i64();
  const n = ctx.i32();
  ctx.readReg(ctx.instr.reg, 4);
  fb.op(Op.i32_wrap_i64).set(crc);
  fb.get(data).set(d);
  fb.i32Const(src.size * 8).set(n);
  fb.loop();
  // crc = (crc ^ bit) & 1 ? (crc >>> 1) ^ POLY : crc >>> 1
  fb.i32Const(0);
  fb.get(crc).get(d).op(Op.i32_wrap_i64).op(Op.i32_xor).i32Const(1).op(Op.i32_and);
  fb.op(Op.i32_sub).i32Const(CRC32C_REFLECTED).op(Op.i32_and);
  fb.get(crc).i32Const(1).op(Op.i32_shr_u).op(Op.i32_xor).set(crc);
  fb.get(d).i64Const(1).op(Op.i64_shr_u).set(d);
  fb.get(n).i32Const(1).op(Op.i32_sub).tee(n).brIf(0);
  fb.end();
  const out = ctx.i64();
  fb.get(crc).op(Op.i64_extend_i32_u).set(out);
  ctx.writeReg(ctx.instr.reg, 8, out);
};

export const sseStringEmitters: Record<string, Emit> = {
  pcmpestri: pcmpstr(true, true),
  pcmpestrm: pcmpstr(true, false),
  pcmpistri: pcmpstr(false, true),
  pcmpistrm: pcmpstr(false, false),
  phminposuw,
  mpsadbw,
  crc32,
};
