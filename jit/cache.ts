// The code cache: compiled blocks by (physical address, translation mode), indexed by
// physical page so that a write to a page drops every block decoded from it (self-modifying
// code, and code pages reused for data).
import { encodeModule } from './wasm/encoder.ts';
import { BLOCK_IMPORTS, type RuntimeImports } from './imports.ts';
import type { Translation } from './translate.ts';

export interface Block {
  readonly run: () => void;
  /** The bytes of its module, kept only when the cache's keepWasm is set (tests, teaching views). */
  readonly wasm?: Uint8Array;
  /** Slot in the vCPU's function table, for the Wasm dispatcher's call_indirect. */
  readonly tableIndex: number;
  readonly instructions: number;
  readonly pages: readonly number[];
  readonly key: number;
  /** The module compiled with it; V8 keeps the module's code while any of its blocks is live. */
  readonly module: ModuleRecord;
}

/** Live blocks of one compiled module. */
export interface ModuleRecord {
  live: number;
}

const MODE_BITS = 256; // mode.ts uses 8 bits; bit 8 marks single-instruction blocks

/**
 * Live Wasm modules per vCPU before the whole cache is flushed (QEMU's tb_flush when its code
 * buffer fills). V8 maps every module's code separately: a Linux boot with one module per
 * block compiled well over 65,530 modules, the kernel's default vm.max_map_count, and V8 then
 * aborted the process ("Commit wasm code space"). A module holds up to MAX_MODULE_BLOCKS
 * blocks and stays mapped while any of them is live. Flushed modules are unreachable and V8
 * frees their code.
 */
export const MAX_LIVE_MODULES = 16384;
/** Live blocks per vCPU before the whole cache is flushed (bounds the memory compiled code takes). */
export const MAX_LIVE_BLOCKS = 65536;
/**
 * Blocks compiled together in one module: the block that missed and its statically known
 * successors (core/cpu/cpu.ts lookup). V8's fixed cost per module (compile, instantiate,
 * code-space mapping) dominates a lone small block; batched, it is shared.
 */
export const MAX_MODULE_BLOCKS = 16;

/** One block to compile: its cache key, translation and the physical pages it was decoded from. */
export interface BlockSource {
  key: number;
  translation: Translation;
  pages: number[];
}

/** Export name of block `i` of a module (the first is `run`, as a lone block's always was). */
function exportName(i: number): string {
  return i === 0 ? 'run' : `run${i}`;
}

/** The Wasm module of translated blocks: imports memory and the runtime, exports one function per block. */
export function encodeBlocks(ts: readonly Translation[]): Uint8Array<ArrayBuffer> {
  return encodeModule({
    memory: { initial: 0, maximum: 65536, shared: true },
    imports: BLOCK_IMPORTS,
    functions: ts.map((t, i) => ({ type: { params: [], results: [] }, body: t.fb, export: exportName(i) })),
  });
}

/** The Wasm module of one translated block. */
export function encodeBlock(t: Translation): Uint8Array<ArrayBuffer> {
  return encodeBlocks([t]);
}

export function blockKey(phys: number, mode: number, single: boolean): number {
  return phys * (MODE_BITS * 2) + mode * 2 + (single ? 1 : 0);
}

export class CodeCache {
  private readonly blocks = new Map<number, Block>();
  private readonly byPage = new Map<number, Set<number>>();
  compiled = 0;
  invalidated = 0;
  /** Whole-cache flushes because MAX_LIVE_BLOCKS or MAX_LIVE_MODULES was reached. */
  flushes = 0;
  /** Modules compiled, and those with a live block. */
  modules = 0;
  liveModules = 0;
  /** Function table the dispatcher calls blocks through; slot 0 stays empty. */
  readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 1024 });
  private readonly freeSlots: number[] = [];
  private nextSlot = 1;
  /** Keep each block's module bytes on the Block (for validation and the text view). */
  keepWasm = false;
  /**
   * Called when blocks are dropped, with their function-table slots (undefined: all of them),
   * so lookups that may name them are forgotten before the slots are reused.
   */
  onInvalidate: (slots: readonly number[] | undefined) => void = () => {};

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly runtime: RuntimeImports,
  ) {}

  private allocSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    if (this.nextSlot >= this.table.length) this.table.grow(this.table.length);
    return this.nextSlot++;
  }

  get(key: number): Block | undefined {
    return this.blocks.get(key);
  }

  /** Whether any block was decoded from physical page `page`. */
  hasCode(page: number): boolean {
    return this.byPage.has(page);
  }

  /** Compiles a translation into a callable block and files it under its pages. */
  install(key: number, t: Translation, pages: number[]): Block {
    return this.installAll([{ key, translation: t, pages }])[0];
  }

  /**
   * Compiles translations into one module (their helpers share one table: the translations
   * of one module are made with the same `helpers` array) and files each block under its
   * pages. Returns the blocks in order.
   */
  installAll(sources: readonly BlockSource[]): Block[] {
    if (this.blocks.size + sources.length > MAX_LIVE_BLOCKS || this.liveModules >= MAX_LIVE_MODULES) {
      this.clear();
      this.flushes++;
    }
    const bytes = encodeBlocks(sources.map((b) => b.translation));
    const helpers = sources[0].translation.helpers;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: { memory: this.memory },
      rt: {
        read: this.runtime.read,
        write: this.runtime.write,
        raise: this.runtime.raise,
        resolveFlags: this.runtime.resolveFlags,
        ...this.runtime.x87,
        helper: (id: number): number => (helpers[id]() ? 1 : 0),
      },
    });
    const module: ModuleRecord = { live: sources.length };
    this.liveModules++;
    this.modules++;
    return sources.map(({ key, translation: t, pages }, i) => {
      const run = instance.exports[exportName(i)] as () => void;
      const tableIndex = this.allocSlot();
      this.table.set(tableIndex, run);
      const block: Block = { run, tableIndex, instructions: t.instructions.length, pages, key, module, ...(this.keepWasm ? { wasm: bytes } : {}) };
      this.blocks.set(key, block);
      for (const p of pages) {
        let set = this.byPage.get(p);
        if (set === undefined) this.byPage.set(p, (set = new Set()));
        set.add(key);
      }
      this.compiled++;
      return block;
    });
  }

  /** Drops every block decoded from physical page `page`; returns how many. */
  invalidatePage(page: number): number {
    const set = this.byPage.get(page);
    if (set === undefined) return 0;
    this.byPage.delete(page);
    const slots: number[] = [];
    for (const key of set) {
      const b = this.blocks.get(key);
      if (b === undefined) continue;
      this.blocks.delete(key);
      slots.push(b.tableIndex);
      if (--b.module.live === 0) this.liveModules--;
      for (const p of b.pages) if (p !== page) this.byPage.get(p)?.delete(key);
    }
    this.onInvalidate(slots);
    for (const slot of slots) this.releaseSlot(slot);
    this.invalidated += set.size;
    return set.size;
  }

  clear(): void {
    this.onInvalidate(undefined);
    for (const b of this.blocks.values()) this.releaseSlot(b.tableIndex);
    this.blocks.clear();
    this.byPage.clear();
    this.liveModules = 0;
  }

  private releaseSlot(slot: number): void {
    this.table.set(slot, null);
    this.freeSlots.push(slot);
  }
}

