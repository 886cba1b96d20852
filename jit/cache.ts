// The code cache: compiled blocks by (physical address, translation mode), indexed by
// physical page so that a write to a page drops every block decoded from it (self-modifying
// code, and code pages reused for data).
import { encodeModule } from './wasm/encoder.ts';
import { BLOCK_IMPORTS, type RuntimeImports } from './imports.ts';
import type { Translation } from './translate.ts';

export interface Block {
  readonly run: () => void;
  /** The module's bytes, kept only when the cache's keepWasm is set (tests, teaching views). */
  readonly wasm?: Uint8Array;
  /** Slot in the vCPU's function table, for the Wasm dispatcher's call_indirect. */
  readonly tableIndex: number;
  readonly instructions: number;
  readonly pages: readonly number[];
  readonly key: number;
}

const MODE_BITS = 256; // mode.ts uses 8 bits; bit 8 marks single-instruction blocks

/**
 * Live blocks per vCPU before the whole cache is flushed (QEMU's tb_flush when its code
 * buffer fills). Each block is its own Wasm module, and V8 maps every module's code
 * separately: a Linux boot compiles well over 65,530 blocks, the kernel's default
 * vm.max_map_count, and V8 then aborts the process ("Commit wasm code space"). Flushed
 * modules are unreachable and V8 frees their code.
 */
export const MAX_LIVE_BLOCKS = 16384;

/** The Wasm module of one translated block: imports memory and the runtime, exports `run`. */
export function encodeBlock(t: Translation): Uint8Array<ArrayBuffer> {
  return encodeModule({
    memory: { initial: 0, maximum: 65536, shared: true },
    imports: BLOCK_IMPORTS,
    functions: [{ type: { params: [], results: [] }, body: t.fb, export: 'run' }],
  });
}

export function blockKey(phys: number, mode: number, single: boolean): number {
  return phys * (MODE_BITS * 2) + mode * 2 + (single ? 1 : 0);
}

export class CodeCache {
  private readonly blocks = new Map<number, Block>();
  private readonly byPage = new Map<number, Set<number>>();
  compiled = 0;
  invalidated = 0;
  /** Whole-cache flushes because MAX_LIVE_BLOCKS was reached. */
  flushes = 0;
  /** Function table the dispatcher calls blocks through; slot 0 stays empty. */
  readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 1024 });
  private readonly freeSlots: number[] = [];
  private nextSlot = 1;
  /** Keep each block's module bytes on the Block (for validation and the text view). */
  keepWasm = false;
  /** Called when blocks are dropped, so lookups that may name them are forgotten. */
  onInvalidate: () => void = () => {};

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
    if (this.blocks.size >= MAX_LIVE_BLOCKS) {
      this.clear();
      this.flushes++;
    }
    const bytes = encodeBlock(t);
    const helpers = t.helpers;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: { memory: this.memory },
      rt: {
        read: this.runtime.read,
        write: this.runtime.write,
        raise: this.runtime.raise,
        resolveFlags: this.runtime.resolveFlags,
        helper: (id: number): number => (helpers[id]() ? 1 : 0),
      },
    });
    const run = instance.exports.run as () => void;
    const tableIndex = this.allocSlot();
    this.table.set(tableIndex, run);
    const block: Block = { run, tableIndex, instructions: t.instructions.length, pages, key, ...(this.keepWasm ? { wasm: bytes } : {}) };
    this.blocks.set(key, block);
    for (const p of pages) {
      let set = this.byPage.get(p);
      if (set === undefined) this.byPage.set(p, (set = new Set()));
      set.add(key);
    }
    this.compiled++;
    return block;
  }

  /** Drops every block decoded from physical page `page`; returns how many. */
  invalidatePage(page: number): number {
    const set = this.byPage.get(page);
    if (set === undefined) return 0;
    this.byPage.delete(page);
    this.onInvalidate();
    for (const key of set) {
      const b = this.blocks.get(key);
      if (b === undefined) continue;
      this.blocks.delete(key);
      this.release(b);
      for (const p of b.pages) if (p !== page) this.byPage.get(p)?.delete(key);
    }
    this.invalidated += set.size;
    return set.size;
  }

  clear(): void {
    this.onInvalidate();
    for (const b of this.blocks.values()) this.release(b);
    this.blocks.clear();
    this.byPage.clear();
  }

  private release(b: Block): void {
    this.table.set(b.tableIndex, null);
    this.freeSlots.push(b.tableIndex);
  }
}

