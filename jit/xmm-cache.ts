// XMM registers in Wasm v128 locals within a compiled block (issue 4: "XMM registers kept in
// Wasm locals inside compiled regions"), the vector counterpart of the deferred flags
// (flags.ts): SSE emitters read and write XMMn through this cache, never the state.
//
// - Each XMM register the block touches has one v128 local. It is loaded from the vCPU state
//   (layout.ts `xmm`) at block entry, unless the block's first access to it is a write, and
//   again after every helper that may change XMM registers in the state (FXRSTOR, XRSTOR,
//   the exact SSE helpers of core/simd/). Loads are placed when the block is complete
//   (endOfBlock), since only then is the set of registers known; loading at entry rather than
//   at first use makes a read valid anywhere, also inside one arm of a fast/slow pair.
// - A write goes to the local only and marks the register dirty. Dirty registers are stored
//   back at block end and before every call that may leave the block or look at the state:
//   slow memory paths, raised exceptions, helpers, early returns. Those stores keep the
//   register dirty, as DeferredFlags.materializeKeeping does, because such a call usually
//   sits on a cold branch the fast path does not take.
// - Writes happen at the instruction's top level (outside any Wasm if/block), after every
//   access that may fault: then a fault stores the earlier instructions' results and none of
//   the faulting instruction's, so it restarts with the state as it was before it (SDM Vol. 3A
//   6.5 "Exception Classifications": a fault is reported with the state before the faulting
//   instruction). The cache checks the second half at translation time.
import { ValType, type FunctionBuilder } from './wasm/encoder.ts';
import { Simd, simdMem } from './emit/sse-wasm.ts';

/**
 * Which XMM registers a helper may write in the state: 'all' when unknown. A helper that
 * names its registers (the exact SSE helpers of core/simd/) writes nothing else of the
 * vector state and no control register, so the SSE #UD/#NM check still holds after it.
 */
export type XmmEffect = 'all' | readonly number[];

export class XmmCache {
  /** v128 local per register, in order of first access. */
  private readonly locals = new Map<number, number>();
  /** Registers whose first access in the block is a write: no entry load. */
  private readonly writtenFirst = new Set<number>();
  /** Registers written in the block: the locals hold values the state may not have. */
  private readonly dirty = new Set<number>();
  /** Positions in the function body after helpers with an unknown XMM effect: every local is reloaded there. */
  private readonly reloadAt: number[] = [];
  /** The current instruction wrote an XMM register. */
  private writtenInInstruction = false;
  /** checkSse state: the previous instruction checked (or inherited) the SSE #UD/#NM conditions and called no helper of unknown effect. */
  private sseCheckCarried = false;
  private sseCheckedNow = false;
  private helperNow = false;

  constructor(
    private readonly fb: FunctionBuilder,
    /** Offset of the low quadword of XMMn in the vCPU state. */
    private readonly stateAddr: (reg: number) => number,
  ) {}

  /** Called as each instruction starts. */
  beginInstruction(): void {
    this.sseCheckCarried = this.sseCheckedNow && !this.helperNow;
    this.sseCheckedNow = false;
    this.helperNow = false;
    this.writtenInInstruction = false;
  }

  /** Pushes the v128 of XMM `reg`. */
  read(reg: number): void {
    this.fb.get(this.local(reg, false));
  }

  /** Pops a v128 into XMM `reg` (at the instruction's top level, after all faulting accesses). */
  write(reg: number): void {
    this.fb.set(this.local(reg, true));
    this.dirty.add(reg);
    this.writtenInInstruction = true;
  }

  /** XMM `reg` = the v128 local `value`. */
  writeFrom(reg: number, value: number): void {
    this.fb.get(value);
    this.write(reg);
  }

  /**
   * Before a call that may fault at this instruction (slow memory paths, raise, helpers):
   * stores the dirty registers. An XMM write earlier in the same instruction would be
   * stored too and survive the fault, so it is a translation-time error.
   */
  spillForFault(): void {
    if (this.writtenInInstruction) throw new Error('XMM register written before an access that may fault (xmm-cache.ts)');
    this.spill();
  }

  /** Stores the dirty registers into the state, keeping them dirty (the call may sit on a branch). */
  spill(): void {
    for (const reg of this.dirty) {
      this.fb.i32Const(0).get(this.locals.get(reg)!);
      simdMem(this.fb, Simd.v128_store, this.stateAddr(reg));
    }
  }

  /** After a helper returns: reloads the registers it may have written. */
  afterHelper(effect: XmmEffect): void {
    if (effect === 'all') {
      this.helperNow = true;
      this.reloadAt.push(this.fb.length);
      return;
    }
    for (const reg of effect) this.load(this.local(reg, false), reg);
  }

  /** Whether the SSE #UD/#NM check of the previous instruction still holds (see checkSse in emit/sse-common.ts); records this instruction's. */
  sseCheckHolds(): boolean {
    this.sseCheckedNow = true;
    return this.sseCheckCarried;
  }

  /**
   * At the end of the block (fall-through): stores the dirty registers, then places the loads
   * at block entry and after each helper of unknown effect.
   */
  endOfBlock(): void {
    this.spill();
    if (this.locals.size === 0) return;
    const fb = this.fb;
    const emitted = (regs: Iterable<number>): Uint8Array =>
      fb.capture(() => {
        for (const reg of regs) this.load(this.locals.get(reg)!, reg);
      });
    const entry = emitted([...this.locals.keys()].filter((r) => !this.writtenFirst.has(r)));
    const reload = emitted(this.locals.keys());
    for (let i = this.reloadAt.length - 1; i >= 0; i--) fb.insertAt(this.reloadAt[i]!, reload);
    fb.insertAt(0, entry);
  }

  private local(reg: number, writing: boolean): number {
    let l = this.locals.get(reg);
    if (l === undefined) {
      l = this.fb.local(ValType.v128);
      this.locals.set(reg, l);
      if (writing) this.writtenFirst.add(reg);
    }
    return l;
  }

  private load(local: number, reg: number): void {
    this.fb.i32Const(0);
    simdMem(this.fb, Simd.v128_load, this.stateAddr(reg));
    this.fb.set(local);
  }
}
