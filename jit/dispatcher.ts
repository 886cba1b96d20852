// The Wasm dispatcher: runs compiled blocks back to back without returning to JavaScript.
//
// Profiling showed the per-block return to JS (mode decoding, the page walk for the fetch,
// the cache lookup) costing far more than the blocks themselves. The dispatcher keeps that
// loop in Wasm: it finds the next block through a hash of (linear RIP, translation mode) in
// the vCPU's shared state, calls it through the function table, and comes back to JS only
// when the block is not there (a miss: JS translates it and fills the hash) or when an event
// needs the run loop (kick, interrupt shadow, TF, a deliverable interrupt or window request),
// and after DISPATCH_BUDGET blocks in any case.
import { JIT_HASH_ENTRIES, vcpuField } from '../core/cpu/layout.ts';
import { Flag, Seg } from '../core/cpu/registers.ts';
import { FunctionBuilder, Op, ValType, encodeModule } from './wasm/encoder.ts';

export const enum DispatchResult {
  /** The block at CS:RIP is not in the hash (or CS:RIP is outside CS): JS takes over. */
  Miss = 0,
  /** Something the run loop handles is pending. */
  Attention = 1,
  /** DISPATCH_BUDGET blocks ran: the run loop looks at its timers (and may yield its thread). */
  Budget = 2,
}

/**
 * Blocks per dispatcher call. Only the run loop runs a vCPU's local-timer queue; in a worker
 * the VMM thread's pump raises ApicEvent.Timer at each deadline and the dispatcher returns,
 * but a vCPU on the VMM's own thread (core/kvm/inline.ts) has no one to do that while the
 * guest spins in Wasm: without a budget, a guest waiting in a loop for its timer interrupt
 * never got it. At tens of millions of blocks a second this is a return every millisecond
 * or so, a JS round trip of about a microsecond.
 */
export const DISPATCH_BUDGET = 1 << 16;

/** Hash of the dispatcher, mirrored by JitHash.insert. */
export function jitHashIndex(linLo: number, mode: number): number {
  return ((linLo ^ (linLo >>> 12) ^ (mode << 5)) >>> 0) & (JIT_HASH_ENTRIES - 1);
}

const BLOCK_TYPE = { params: [], results: [] };

export function buildDispatcher(memory: WebAssembly.Memory, table: WebAssembly.Table, vcpuId: number): () => number {
  const at = (name: Parameters<typeof vcpuField>[1], i = 0): number => vcpuField(vcpuId, name, i);
  const fb = new FunctionBuilder(0);
  const lin = fb.local(ValType.i64);
  const mode = fb.local(ValType.i32);
  const flags = fb.local(ValType.i32);
  const h = fb.local(ValType.i32);
  const budget = fb.local(ValType.i32);
  const load32 = (addr: number): void => void fb.i32Const(0).mem(Op.i32_load, addr);
  const ret = (v: DispatchResult): void => void fb.i32Const(v).op(Op.return_);
  fb.i32Const(DISPATCH_BUDGET).set(budget);
  fb.loop();
  fb.get(budget).i32Const(1).op(Op.i32_sub).tee(budget).op(Op.i32_eqz);
  fb.if_();
  ret(DispatchResult.Budget);
  fb.end();
  // Events first: kick (immediate_exit), in-kernel APIC events, interrupt shadow, single-step.
  fb.i32Const(0).mem(Op.i32_load8_u, at('runImmediateExit'));
  load32(at('apicEvents'));
  fb.op(Op.i32_or);
  load32(at('interruptShadow'));
  fb.op(Op.i32_or);
  load32(at('rflags'));
  fb.tee(flags).i32Const(Flag.TF).op(Op.i32_and).op(Op.i32_or);
  fb.if_();
  ret(DispatchResult.Attention);
  fb.end();
  // With IF=1: a queued KVM_INTERRUPT or a requested interrupt window.
  fb.get(flags).i32Const(Flag.IF).op(Op.i32_and);
  fb.if_();
  load32(at('pendingIrq'));
  fb.i32Const(0).op(Op.i32_ge_s);
  fb.i32Const(0).mem(Op.i32_load8_u, at('runRequestInterruptWindow'));
  fb.op(Op.i32_or);
  fb.if_();
  ret(DispatchResult.Attention);
  fb.end();
  fb.end();
  // Linear RIP: CS.base + RIP outside 64-bit mode (mode.ts: bits 0-1 = 2 in 64-bit mode).
  load32(at('mode'));
  fb.tee(mode).i32Const(3).op(Op.i32_and).i32Const(2).op(Op.i32_eq);
  fb.if_(ValType.i64);
  fb.i32Const(0).mem(Op.i64_load, at('rip'));
  fb.else_();
  fb.i32Const(0).mem(Op.i64_load, at('rip'));
  fb.i32Const(0).mem(Op.i64_load32_u, at('segLimit', Seg.CS));
  fb.op(Op.i64_gt_u);
  fb.if_();
  ret(DispatchResult.Miss); // JS raises #GP for a RIP beyond the CS limit
  fb.end();
  fb.i32Const(0).mem(Op.i64_load, at('rip'));
  fb.i32Const(0).mem(Op.i64_load, at('segBase', Seg.CS));
  fb.op(Op.i64_add).i64Const(0xffffffffn).op(Op.i64_and);
  fb.end();
  fb.set(lin);
  // h = (lo ^ lo >> 12 ^ mode << 5) & (N - 1)
  fb.get(lin).op(Op.i32_wrap_i64);
  fb.get(lin).op(Op.i32_wrap_i64).i32Const(12).op(Op.i32_shr_u).op(Op.i32_xor);
  fb.get(mode).i32Const(5).op(Op.i32_shl).op(Op.i32_xor);
  fb.i32Const(JIT_HASH_ENTRIES - 1).op(Op.i32_and).set(h);
  fb.get(h).i32Const(3).op(Op.i32_shl).mem(Op.i64_load, at('jitKeyLin'));
  fb.get(lin).op(Op.i64_ne);
  fb.get(h).i32Const(2).op(Op.i32_shl).mem(Op.i32_load, at('jitKeyMode'));
  fb.get(mode).op(Op.i32_ne).op(Op.i32_or);
  fb.if_();
  ret(DispatchResult.Miss);
  fb.end();
  fb.get(h).i32Const(2).op(Op.i32_shl).mem(Op.i32_load, at('jitIndex'));
  fb.callIndirect(0);
  fb.br(0);
  fb.end();
  fb.op(Op.unreachable);
  const bytes = encodeModule({
    memory: { initial: 0, maximum: 65536, shared: true },
    table: { initial: 1 },
    imports: [],
    functions: [{ type: { params: [], results: [ValType.i32] }, body: fb, export: 'dispatch' }],
    extraTypes: [BLOCK_TYPE],
  });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, table } });
  return instance.exports.dispatch as () => number;
}

/** A dispatcher-hash mode no translation mode equals: the entry is empty. */
const NO_MODE = 0xffffffff;
const PAGE_4K = 0x1000;
/**
 * The page sizes an entry is indexed by: 4 KiB, 2 MiB, 4 MiB (32-bit paging) and 1 GiB, the
 * largest a translation can use (SDM Vol. 3A 4.3, 4.5.4), which every smaller page lies in.
 */
const INDEX_SIZES = [PAGE_4K, 0x20_0000, 0x40_0000, 0x4000_0000] as const;
const LARGEST_PAGE = 0x4000_0000;
/** Buckets per page size of the region index; a bucket holds the entries of the regions that share its low bits. */
const REGION_BUCKETS = 1024;
/** A bucket is compacted (stale and repeated slots removed) when it grows past twice its live size or this. */
const MIN_BUCKET_LIMIT = 16;

/**
 * The JS side of the dispatcher's hash: fills (linear RIP, mode) -> function-table slot
 * entries in the vCPU state and forgets them when the translations or the code they were
 * made from change. Every drop costs what the hash holds that it may concern, not the hash
 * size (INVLPG and MOV to CR3 run in tight loops in paging tests, and the hash is large):
 * - the entries filled since the last clear (clear);
 * - the non-global entries filled since the last MOV to CR3 (MOV to CR3);
 * - per function-table slot, the entries that call it (dropped blocks);
 * - a region index: per page size, the entries fetched from each page of that size (INVLPG).
 * Each list may name entries refilled since with something else: they are checked as the
 * list is walked, and skipped.
 */
export class JitHash {
  private readonly keyLin: number;
  private readonly keyMode: number;
  private readonly slotIndex: number;
  /** Per entry: its linear RIP in the signed form of core/cpu/paging/canonical.ts. */
  private readonly lin = new Float64Array(JIT_HASH_ENTRIES);
  /**
   * Per entry: the size of the page its block was fetched from, which an INVLPG anywhere in
   * it must drop (SDM Vol. 2A INVLPG: the whole large page); LARGEST_PAGE when the block
   * spans two pages.
   */
  private readonly size = new Float64Array(JIT_HASH_ENTRIES);
  /** Per entry: its block was fetched from one global page, so MOV to CR3 keeps it (SDM Vol. 3A 4.10.4.1). */
  private readonly global = new Uint8Array(JIT_HASH_ENTRIES);
  /** Entries filled since the last clear, each once. */
  private readonly filled = new EntryList();
  /** Entries filled with a non-global block since the last MOV to CR3 or clear, each once. */
  private readonly nonGlobal = new EntryList();
  /** Function-table slot -> the entries filled with it (some since refilled), compacted past `limit`. */
  private readonly bySlot = new Map<number, { entries: number[]; limit: number }>();
  /** Region index: bucket (size class * REGION_BUCKETS + region bits) -> entries. */
  private readonly buckets: number[][] = Array.from({ length: INDEX_SIZES.length * REGION_BUCKETS }, () => []);
  private readonly bucketLimit = new Int32Array(INDEX_SIZES.length * REGION_BUCKETS).fill(MIN_BUCKET_LIMIT);
  /** Buckets that may be non-empty, each once, for clear(). */
  private readonly usedBuckets: number[] = [];
  private readonly isUsed = new Uint8Array(INDEX_SIZES.length * REGION_BUCKETS);
  /** Bucket entries per size class, stale ones included: INVLPG skips the empty classes. */
  private readonly classCount = new Int32Array(INDEX_SIZES.length);
  /** Marks of a bucket walk, against repeated slots. */
  private readonly seen = new Uint32Array(JIT_HASH_ENTRIES);
  private walk = 0;

  constructor(
    private readonly u32: Uint32Array,
    vcpuId: number,
  ) {
    this.keyLin = vcpuField(vcpuId, 'jitKeyLin') >>> 2;
    this.keyMode = vcpuField(vcpuId, 'jitKeyMode') >>> 2;
    this.slotIndex = vcpuField(vcpuId, 'jitIndex') >>> 2;
    u32.fill(NO_MODE, this.keyMode, this.keyMode + JIT_HASH_ENTRIES);
  }

  /**
   * Enters the block at linear `lin` (signed form) in translation mode `mode`, compiled into
   * function-table slot `tableIndex`; `pageSize` and `global` describe the page it was
   * fetched from, `onePage` whether it lies on that page alone.
   */
  insert(lin: number, mode: number, tableIndex: number, pageSize: number, global: boolean, onePage: boolean): void {
    const u32 = this.u32;
    const h = jitHashIndex(lin >>> 0, mode);
    u32[this.keyLin + 2 * h] = lin >>> 0;
    u32[this.keyLin + 2 * h + 1] = Math.floor(lin / 0x1_0000_0000) >>> 0;
    u32[this.keyMode + h] = mode;
    u32[this.slotIndex + h] = tableIndex;
    const c = sizeClass(onePage ? pageSize : LARGEST_PAGE);
    const size = INDEX_SIZES[c];
    this.lin[h] = lin;
    this.size[h] = size;
    this.global[h] = onePage && global ? 1 : 0;
    this.filled.add(h);
    if (!this.global[h]) this.nonGlobal.add(h);
    let callers = this.bySlot.get(tableIndex);
    if (callers === undefined) this.bySlot.set(tableIndex, (callers = { entries: [], limit: MIN_BUCKET_LIMIT }));
    const entries = callers.entries;
    if (entries[entries.length - 1] !== h) {
      entries.push(h);
      if (entries.length > callers.limit) {
        callers.entries = this.callersOf(tableIndex, entries);
        callers.limit = Math.max(MIN_BUCKET_LIMIT, 2 * callers.entries.length);
      }
    }
    const b = bucketOf(c, Math.floor(lin / size));
    const list = this.buckets[b];
    if (!this.isUsed[b]) {
      this.isUsed[b] = 1;
      this.usedBuckets.push(b);
    }
    list.push(h);
    this.classCount[c]++;
    if (list.length > this.bucketLimit[b]) {
      this.compact(b, c, NaN);
      this.bucketLimit[b] = Math.max(MIN_BUCKET_LIMIT, 2 * list.length);
    }
  }

  /** Forgets every entry. */
  clear(): void {
    this.filled.forEach((h) => this.forget(h));
    this.nonGlobal.reset();
    this.bySlot.clear();
    for (const b of this.usedBuckets) {
      this.buckets[b].length = 0;
      this.isUsed[b] = 0;
    }
    this.usedBuckets.length = 0;
    this.classCount.fill(0);
  }

  /** MOV to CR3: forgets the entries of blocks not fetched from a global page. */
  dropNonGlobal(): void {
    this.nonGlobal.forEach((h) => {
      if (!this.global[h]) this.forget(h);
    });
  }

  /** Forgets the entries that call the function-table slots of dropped blocks. */
  dropSlots(slots: readonly number[]): void {
    for (const slot of slots) {
      const callers = this.bySlot.get(slot);
      if (callers === undefined) continue;
      for (const h of callers.entries) if (this.u32[this.slotIndex + h] === slot) this.forget(h);
      this.bySlot.delete(slot);
    }
  }

  /**
   * INVLPG of the page holding `lin` (signed form): forgets the entries whose block was
   * fetched from that page (of its size), and those of the 4 KiB before it, whose last
   * instruction may extend onto it.
   */
  dropPage(lin: number): void {
    for (let c = 0; c < INDEX_SIZES.length; c++) {
      if (this.classCount[c] === 0) continue;
      const region = Math.floor(lin / INDEX_SIZES[c]);
      // An entry of region R - 1 reaches region R when it lies in its last 4 KiB.
      this.compact(bucketOf(c, region), c, lin);
      this.compact(bucketOf(c, region - 1), c, lin);
    }
  }

  /** Whether the entry at `h` is live. */
  private live(h: number): boolean {
    return this.u32[this.keyMode + h] !== NO_MODE;
  }

  /** Empties entry `h` (the dispatcher then misses on it). */
  private forget(h: number): void {
    this.u32[this.keyMode + h] = NO_MODE;
  }

  /** The live entries of `callers` that still call `slot`, each once. */
  private callersOf(slot: number, callers: readonly number[]): number[] {
    const mark = this.nextWalk();
    const out: number[] = [];
    for (const h of callers) {
      if (this.seen[h] === mark || !this.live(h) || this.u32[this.slotIndex + h] !== slot) continue;
      this.seen[h] = mark;
      out.push(h);
    }
    return out;
  }

  private nextWalk(): number {
    if (++this.walk === 0x1_0000_0000) {
      this.seen.fill(0);
      this.walk = 1;
    }
    return this.walk;
  }

  /**
   * Walks bucket `b` of size class `c`: keeps each live entry indexed there once, and with
   * `lin` (not NaN) forgets those an INVLPG of `lin`'s page drops.
   */
  private compact(b: number, c: number, lin: number): void {
    const list = this.buckets[b];
    if (list.length === 0) return;
    const size = INDEX_SIZES[c];
    const region = Math.floor(lin / size);
    const mark = this.nextWalk();
    let n = 0;
    for (let i = 0; i < list.length; i++) {
      const h = list[i];
      if (this.seen[h] === mark || !this.live(h) || this.size[h] !== size) continue;
      const at = this.lin[h];
      if (bucketOf(c, Math.floor(at / size)) !== b) continue;
      this.seen[h] = mark;
      if (Math.floor(at / size) === region || Math.floor((at + PAGE_4K) / size) === region) {
        this.forget(h);
        continue;
      }
      list[n++] = h;
    }
    this.classCount[c] -= list.length - n;
    list.length = n;
  }
}

/** Hash entries, each at most once, in the order they were added. */
class EntryList {
  private readonly entries = new Int32Array(JIT_HASH_ENTRIES);
  private count = 0;
  private readonly listed = new Uint8Array(JIT_HASH_ENTRIES);

  add(h: number): void {
    if (this.listed[h]) return;
    this.listed[h] = 1;
    this.entries[this.count++] = h;
  }

  /** Calls `f` on every entry and empties the list. */
  forEach(f: (h: number) => void): void {
    for (let i = 0; i < this.count; i++) {
      const h = this.entries[i];
      this.listed[h] = 0;
      f(h);
    }
    this.count = 0;
  }

  reset(): void {
    this.forEach(() => {});
  }
}

/** The index class of a page size: its own, or the largest (a superset) for any other size. */
function sizeClass(size: number): number {
  const c = INDEX_SIZES.indexOf(size as (typeof INDEX_SIZES)[number]);
  return c < 0 ? INDEX_SIZES.length - 1 : c;
}

function bucketOf(sizeClass: number, region: number): number {
  return sizeClass * REGION_BUCKETS + ((region | 0) & (REGION_BUCKETS - 1));
}
