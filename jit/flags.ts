// Deferred flags: arithmetic flags are computed at compile time only where someone needs them.
//
// Each flag-writing instruction records a *producer* (its operands and result, kept in Wasm
// locals) for the status flags it writes. Nothing is computed on the fast path. A flag is
// materialized into RFLAGS in memory only when (a) an instruction reads it, (b) the block
// ends, or (c) control may leave the block early: every slow-path or helper call, since a
// guest fault there must see the flags exactly as they were before the faulting
// instruction. A later producer that writes the same flag simply replaces the earlier one,
// so flags overwritten within a block are never computed at all.
import { Flag, STATUS_FLAGS } from '../core/cpu/registers.ts';
import { Op, ValType, type FunctionBuilder } from './wasm/encoder.ts';

export type ProducerKind = 'add' | 'sub' | 'logic' | 'inc' | 'dec' | 'bits';

/**
 * A flag producer. For add/sub: flags of `a op b = res` at `size` bytes (ADC/SBB included:
 * the carry/borrow formulas below hold for any carry in). inc/dec: CF untouched. logic:
 * CF = OF = AF = 0. bits: the flag values were computed eagerly into `bits` (an i32 local
 * holding them at their RFLAGS positions).
 */
export interface Producer {
  readonly kind: ProducerKind;
  readonly size: 1 | 2 | 4 | 8;
  readonly a: number;
  readonly b: number;
  readonly res: number;
  readonly bits: number;
  /** ADC/SBB: the result includes the carry in, so a - b comparisons do not apply. */
  readonly carry?: boolean;
}

const FLAG_BITS = [Flag.CF, Flag.PF, Flag.AF, Flag.ZF, Flag.SF, Flag.OF] as const;

/** Index in FLAG_BITS of a status flag's bit, -1 for any other bit. */
function slotOf(bit: number): number {
  return FLAG_BITS.indexOf(bit as (typeof FLAG_BITS)[number]);
}

export function sizeMask(size: number): bigint {
  return size === 8 ? -1n : (1n << BigInt(size * 8)) - 1n;
}

export class DeferredFlags {
  /** Pending producer per status flag (FLAG_BITS order), or undefined when RFLAGS in memory is current. */
  private pending: (Producer | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  /** Set once generated code reads or writes RFLAGS in memory (the block must resolve lazy flags first). */
  memoryTouched = false;

  constructor(
    private readonly fb: FunctionBuilder,
    private readonly rflagsAddr: number,
  ) {}

  /** Records that `mask` flags now come from `p` (replacing earlier producers). */
  produce(mask: number, p: Producer): void {
    for (let i = 0; i < FLAG_BITS.length; i++) if (mask & FLAG_BITS[i]) this.pending[i] = p;
  }

  /** Records eagerly computed flags: `bitsLocal` (i32) holds the values of `mask` at their positions. */
  produceBits(mask: number, bitsLocal: number): void {
    this.produce(mask, { kind: 'bits', size: 4, a: -1, b: -1, res: -1, bits: bitsLocal });
  }

  pendingMask(): number {
    let m = 0;
    for (let i = 0; i < FLAG_BITS.length; i++) if (this.pending[i] !== undefined) m |= FLAG_BITS[i];
    return m;
  }

  producerOf(bit: number): Producer | undefined {
    const i = slotOf(bit);
    return i < 0 ? undefined : this.pending[i];
  }

  /** The single producer of all of `mask`, if they are all pending from one. */
  commonProducer(mask: number): Producer | undefined {
    let p: Producer | undefined;
    for (let i = 0; i < FLAG_BITS.length; i++) {
      if (!(mask & FLAG_BITS[i])) continue;
      const q = this.pending[i];
      if (q === undefined || (p !== undefined && p !== q)) return undefined;
      p = q;
    }
    return p;
  }

  /** Pushes an i32 0/1 with the current value of one flag (pending or in memory). */
  emitFlag(bit: number): void {
    const fb = this.fb;
    const p = this.producerOf(bit);
    if (p === undefined) {
      this.memoryTouched = true;
      fb.i32Const(0).mem(Op.i32_load, this.rflagsAddr);
      fb.i32Const(31 - Math.clz32(bit)).op(Op.i32_shr_u).i32Const(1).op(Op.i32_and);
      return;
    }
    this.emitBitValue(p, bit);
    fb.i32Const(31 - Math.clz32(bit)).op(Op.i32_shr_u);
  }

  /** Writes the pending values of `mask` (default: all) into RFLAGS in memory. */
  materialize(mask: number = STATUS_FLAGS): void {
    const fb = this.fb;
    let m = 0;
    for (let i = 0; i < FLAG_BITS.length; i++) if (mask & FLAG_BITS[i] && this.pending[i] !== undefined) m |= FLAG_BITS[i];
    if (m === 0) return;
    this.memoryTouched = true;
    fb.i32Const(0);
    fb.i32Const(0).mem(Op.i32_load, this.rflagsAddr).i32Const(~m).op(Op.i32_and);
    for (let i = 0; i < FLAG_BITS.length; i++) {
      if (!(m & FLAG_BITS[i])) continue;
      this.emitBitValue(this.pending[i]!, FLAG_BITS[i]);
      fb.op(Op.i32_or);
    }
    fb.mem(Op.i32_store, this.rflagsAddr);
    for (let i = 0; i < FLAG_BITS.length; i++) if (m & FLAG_BITS[i]) this.pending[i] = undefined;
  }

  /**
   * At the end of a block: when one producer of a kind lazy-flags.ts can store defines all six
   * status flags, hands it to `store` (which writes it to the vCPU state) instead of computing
   * them; otherwise materializes. Returns whether the flags were stored lazily.
   */
  endOfBlock(lazyCode: (p: Producer) => number | undefined, store: (p: Producer, code: number) => void): boolean {
    const p = this.commonProducer(STATUS_FLAGS);
    const code = p && lazyCode(p);
    if (p && code !== undefined) {
      store(p, code);
      this.pending.fill(undefined);
      return true;
    }
    this.materialize();
    return false;
  }

  /**
   * Emits materialization code for every pending flag without forgetting them: used on
   * slow paths (a branch that may leave the block) while the fast path keeps them deferred.
   */
  materializeKeeping(): void {
    const saved = this.pending.slice();
    this.materialize();
    this.pending = saved;
  }

  /** Pushes an i32 with flag `bit` at its RFLAGS position (0 or `bit`). */
  private emitBitValue(p: Producer, bit: number): void {
    const fb = this.fb;
    const top = p.size * 8 - 1;
    const pos = 31 - Math.clz32(bit);
    if (p.kind === 'bits') {
      fb.get(p.bits).i32Const(bit).op(Op.i32_and);
      return;
    }
    switch (bit) {
      case Flag.ZF:
        fb.get(p.res).i64Const(sizeMask(p.size)).op(Op.i64_and).op(Op.i64_eqz);
        fb.i32Const(pos).op(Op.i32_shl);
        return;
      case Flag.SF:
        fb.get(p.res);
        this.topBitToPos(top, pos);
        return;
      case Flag.PF:
        // PF: even number of set bits in the low byte (SDM Vol. 1 3.4.3.1).
        fb.get(p.res).op(Op.i32_wrap_i64).i32Const(0xff).op(Op.i32_and).op(Op.i32_popcnt);
        fb.i32Const(1).op(Op.i32_and).i32Const(1).op(Op.i32_xor).i32Const(pos).op(Op.i32_shl);
        return;
      case Flag.AF:
        if (p.kind === 'logic') {
          fb.i32Const(0);
          return;
        }
        // AF: carry or borrow out of bit 3: bit 4 of a ^ b ^ res.
        fb.get(p.a);
        if (p.kind === 'inc' || p.kind === 'dec') fb.i64Const(1);
        else fb.get(p.b);
        fb.op(Op.i64_xor).get(p.res).op(Op.i64_xor).op(Op.i32_wrap_i64).i32Const(0x10).op(Op.i32_and);
        return;
      case Flag.CF:
        if (p.kind === 'logic') fb.i32Const(0);
        else if (p.kind === 'add') {
          // Carry out of the top bit: (a & b) | ((a | b) & ~res).
          fb.get(p.a).get(p.b).op(Op.i64_and);
          fb.get(p.a).get(p.b).op(Op.i64_or).get(p.res).i64Const(-1).op(Op.i64_xor).op(Op.i64_and);
          fb.op(Op.i64_or);
          this.topBitToPos(top, pos);
        } else if (p.kind === 'sub') {
          // Borrow out of the top bit: (~a & b) | ((~a | b) & res).
          fb.get(p.a).i64Const(-1).op(Op.i64_xor).get(p.b).op(Op.i64_and);
          fb.get(p.a).i64Const(-1).op(Op.i64_xor).get(p.b).op(Op.i64_or).get(p.res).op(Op.i64_and);
          fb.op(Op.i64_or);
          this.topBitToPos(top, pos);
        } else throw new Error(`CF is not produced by ${p.kind}`);
        return;
      case Flag.OF:
        if (p.kind === 'logic') fb.i32Const(0);
        else if (p.kind === 'add') {
          fb.get(p.a).get(p.res).op(Op.i64_xor).get(p.b).get(p.res).op(Op.i64_xor).op(Op.i64_and);
          this.topBitToPos(top, pos);
        } else if (p.kind === 'sub') {
          fb.get(p.a).get(p.b).op(Op.i64_xor).get(p.a).get(p.res).op(Op.i64_xor).op(Op.i64_and);
          this.topBitToPos(top, pos);
        } else {
          // INC overflows when the result is the most negative value; DEC when the operand was.
          fb.get(p.kind === 'inc' ? p.res : p.a).i64Const(sizeMask(p.size)).op(Op.i64_and);
          fb.i64Const(1n << BigInt(top)).op(Op.i64_eq).i32Const(pos).op(Op.i32_shl);
        }
        return;
    }
    throw new Error(`unknown flag ${bit}`);
  }

  /** Pushes bit `top` of the i64 on the stack, moved to RFLAGS position `pos`, as i32. */
  private topBitToPos(top: number, pos: number): void {
    this.fb.i64Const(top).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32Const(1).op(Op.i32_and);
    if (pos) this.fb.i32Const(pos).op(Op.i32_shl);
  }

  /** Allocates the three i64 locals a producer needs. */
  static locals(fb: FunctionBuilder): { a: number; b: number; res: number } {
    return { a: fb.local(ValType.i64), b: fb.local(ValType.i64), res: fb.local(ValType.i64) };
  }
}
