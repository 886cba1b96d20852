// The code cache: compiled blocks by (physical address, translation mode), indexed by
// physical page so that a write to a page drops every block decoded from it (self-modifying
// code, and code pages reused for data).
import { ByteWriter, FunctionBuilder, Op, ValType, encodeModule, type FuncType, type ImportedFunc } from './wasm/encoder.ts';
import { BLOCK_IMPORTS, type RuntimeImports } from './imports.ts';
import type { Translation } from './translate.ts';
import type { HelperFn } from './context.ts';

export interface Block {
  readonly run: () => void;
  /** The bytes of its module, kept only when the cache's keepWasm is set (tests, teaching views). */
  readonly wasm?: Uint8Array<ArrayBuffer>;
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
  /** Its id, which its blocks pass with each helper call (CodeCache's helper dispatch). */
  readonly id: number;
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

const i32 = ValType.i32;
const HELPER = BLOCK_IMPORTS.findIndex((f) => f.name === 'helper');
/** The runtime's `helper` as a block module's table holds it: (helper id, module id) -> 1 when the block must end. */
const HELPER_DISPATCH: FuncType = { params: [i32, i32], results: [i32] };
const VOID: FuncType = { params: [], results: [] };
const RUNTIME_ENTRIES = BLOCK_IMPORTS.length;

/** Wasm binary encoding (Core Spec 5.5): section ids. */
const enum Section {
  Type = 1,
  Import = 2,
  Function = 3,
  Table = 4,
  Export = 7,
  Element = 9,
  Code = 10,
}
/** Import and export descriptor kinds (Core Spec 5.5.5, 5.5.10). */
const enum ExternKind {
  Func = 0x00,
  Memory = 0x02,
  Global = 0x03,
}
/** Limits flags (Core Spec 5.3.7 and the threads proposal's shared memory). */
const enum Limits {
  Min = 0x00,
  MinMaxShared = 0x03,
}
const FUNC_TYPE = 0x60;
const FUNC_REF = 0x70;
const IMMUTABLE = 0x00;
/** Element segment kind 4: active, table 0, elements given as funcref constant expressions (Core Spec 5.5.12). */
const ELEM_ACTIVE_EXPRS = 0x04;
const GLOBAL_GET = 0x23;
const MODULE_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * The Wasm module of translated blocks, one exported function per block, as a Uint8Array.
 *
 * The emitters call the runtime as functions 0..BLOCK_IMPORTS.length-1 (context.ts `Import`).
 * Those are not function imports here but stubs defined in the module, which call the runtime
 * through a table of the module's own, filled from imported immutable funcref globals (an
 * element segment of `global.get`). V8 in Node 20 compiles a TurboFan import-call wrapper per
 * distinct function-import signature for every module (its wrapper cache is per module, and
 * compiled eagerly whether the import turns out to be JS or Wasm): with BLOCK_IMPORTS' 8
 * signatures that was about 0.5 ms of CPU per module, more than the blocks of most modules
 * (bench/README.md, Linux boot). Importing a shared table instead costs a copy of the whole
 * table per instance. The stubs compile lazily (V8's default), in modules that call them.
 * `moduleId` goes with every helper call (CodeCache's helper dispatch).
 */
export function encodeBlocks(ts: readonly Translation[], moduleId: number): Uint8Array<ArrayBuffer> {
  const head = moduleHead(ts.length);
  // The code section: stubs, then the blocks' bodies, each written once into the result.
  const stubs = runtimeStubs();
  const helperStub = stubBody(HELPER, moduleId);
  const headers = ts.map((t) => t.fb.localsHeader());
  const count = new ByteWriter().u32(RUNTIME_ENTRIES + ts.length).bytes;
  let codeSize = count.length;
  for (let i = 0; i < RUNTIME_ENTRIES; i++) codeSize += i === HELPER ? helperStub.length : stubs[i].length;
  for (let i = 0; i < ts.length; i++) codeSize += ts[i].fb.encodedSize(headers[i]);
  const codeHead = new ByteWriter().byte(Section.Code).u32(codeSize).append(count).bytes;
  const out = new Uint8Array(head.length + codeHead.length + codeSize - count.length);
  out.set(head);
  let at = head.length;
  out.set(codeHead, at);
  at += codeHead.length;
  for (let i = 0; i < RUNTIME_ENTRIES; i++) {
    const b = i === HELPER ? helperStub : stubs[i];
    out.set(b, at);
    at += b.length;
  }
  for (let i = 0; i < ts.length; i++) at = ts[i].fb.writeTo(out, at, headers[i]);
  return out;
}

/** Type indices of the module's stubs and of the runtime functions they call, and the block type. */
interface BlockTypes {
  types: FuncType[];
  calleeType: number[];
  stubType: number[];
  voidType: number;
}

let blockTypes: BlockTypes | undefined;

function moduleTypes(): BlockTypes {
  if (blockTypes !== undefined) return blockTypes;
  const types: FuncType[] = [];
  const typeIndex = (t: FuncType): number => {
    const k = types.findIndex((d) => sameType(d, t));
    return k >= 0 ? k : types.push(t) - 1;
  };
  const calleeType = BLOCK_IMPORTS.map((f, i) => typeIndex(i === HELPER ? HELPER_DISPATCH : f.type));
  const stubType = BLOCK_IMPORTS.map((f) => typeIndex(f.type));
  const voidType = typeIndex(VOID);
  return (blockTypes = { types, calleeType, stubType, voidType });
}

/** Every section before the code section depends only on the number of blocks: built once per count. */
const HEADS = new Map<number, Uint8Array>();

function moduleHead(blocks: number): Uint8Array {
  const cached = HEADS.get(blocks);
  if (cached !== undefined) return cached;
  const { types, stubType, voidType } = moduleTypes();
  const head = new ByteWriter().append(MODULE_HEADER);
  const typeSec = new ByteWriter().u32(types.length);
  for (const t of types) typeSec.byte(FUNC_TYPE).u32(t.params.length).append(t.params).u32(t.results.length).append(t.results);
  section(head, Section.Type, typeSec);
  const importSec = new ByteWriter().u32(1 + RUNTIME_ENTRIES);
  importSec.name('env').name('memory').byte(ExternKind.Memory).byte(Limits.MinMaxShared).u32(0).u32(65536);
  for (const f of BLOCK_IMPORTS) importSec.name('rt').name(f.name).byte(ExternKind.Global).byte(FUNC_REF).byte(IMMUTABLE);
  section(head, Section.Import, importSec);
  const funcSec = new ByteWriter().u32(RUNTIME_ENTRIES + blocks).append(stubType);
  for (let i = 0; i < blocks; i++) funcSec.u32(voidType);
  section(head, Section.Function, funcSec);
  section(head, Section.Table, new ByteWriter().u32(1).byte(FUNC_REF).byte(Limits.Min).u32(RUNTIME_ENTRIES));
  const exportSec = new ByteWriter().u32(blocks);
  for (let i = 0; i < blocks; i++) exportSec.name(exportName(i)).byte(ExternKind.Func).u32(RUNTIME_ENTRIES + i);
  section(head, Section.Export, exportSec);
  const elemSec = new ByteWriter().u32(1).byte(ELEM_ACTIVE_EXPRS).byte(Op.i32_const).s32(0).byte(Op.end).u32(RUNTIME_ENTRIES);
  for (let g = 0; g < RUNTIME_ENTRIES; g++) elemSec.byte(GLOBAL_GET).u32(g).byte(Op.end);
  section(head, Section.Element, elemSec);
  const bytes = head.bytes.slice();
  HEADS.set(blocks, bytes);
  return bytes;
}

/** Code-section entry of the stub for runtime entry `i`: its parameters, then `moduleId` for `helper`, then the table call. */
function stubBody(i: number, moduleId: number): Uint8Array {
  const f = BLOCK_IMPORTS[i];
  const fb = new FunctionBuilder(f.type.params.length);
  for (let p = 0; p < f.type.params.length; p++) fb.get(p);
  if (i === HELPER) fb.i32Const(moduleId);
  return fb.i32Const(i).callIndirect(moduleTypes().calleeType[i]).finish().bytes;
}

let stubCache: Uint8Array[] | undefined;

/** The stubs' code-section entries; the helper's (index HELPER) is per module and left empty. */
function runtimeStubs(): Uint8Array[] {
  return (stubCache ??= BLOCK_IMPORTS.map((_, i) => (i === HELPER ? new Uint8Array(0) : stubBody(i, 0))));
}

function section(out: ByteWriter, id: number, content: ByteWriter): void {
  out.byte(id).u32(content.bytes.length).append(content);
}

function sameType(a: FuncType, b: FuncType): boolean {
  return a.params.join() === b.params.join() && a.results.join() === b.results.join();
}

/**
 * The runtime's entry points as Wasm functions, in BLOCK_IMPORTS order, for the funcref
 * globals block modules import: a Wasm function of another instance as it is, a JS function
 * through a trampoline module that imports it. `helper` is (helper id, module id).
 */
function runtimeFunctions(memory: WebAssembly.Memory, rt: Record<string, WebAssembly.ImportValue>): WebAssembly.Global[] {
  const imports: ImportedFunc[] = BLOCK_IMPORTS.map((f, i) => (i === HELPER ? { ...f, type: HELPER_DISPATCH } : f));
  const functions = imports.map((f, i) => {
    const fb = new FunctionBuilder(f.type.params.length);
    for (let p = 0; p < f.type.params.length; p++) fb.get(p);
    fb.call(i);
    return { type: f.type, body: fb, export: f.name };
  });
  const bytes = encodeModule({ memory: { initial: 0, maximum: 65536, shared: true }, imports, functions });
  const trampolines = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory }, rt }).exports;
  return BLOCK_IMPORTS.map((f) => {
    try {
      return new WebAssembly.Global({ value: 'anyfunc', mutable: false }, rt[f.name] as () => void);
    } catch {
      // Not a Wasm function: a funcref holds only those.
      return new WebAssembly.Global({ value: 'anyfunc', mutable: false }, trampolines[f.name] as () => void);
    }
  });
}

const RECENT_ENTRIES = 4096;

/** Slot of a block key (blockKey) in CodeCache's recent-block cache: low bits of the page offset and mode, and of the page. */
function recentIndex(key: number): number {
  return ((key >>> 1) ^ (key / (MODE_BITS * 2 * 4096))) & (RECENT_ENTRIES - 1);
}

export function blockKey(phys: number, mode: number, single: boolean): number {
  return phys * (MODE_BITS * 2) + mode * 2 + (single ? 1 : 0);
}

export class CodeCache {
  private readonly blocks = new Map<number, Block>();
  /**
   * A direct-mapped cache of `blocks` for get(): the run loop looks blocks up millions of
   * times per boot (each dispatcher miss on a compiled block), and a Map lookup by these
   * keys (doubles beyond 2^31) costs about twice one by a small integer.
   */
  private readonly recentKey = new Float64Array(RECENT_ENTRIES).fill(NaN);
  private readonly recentBlock: (Block | undefined)[] = new Array<Block | undefined>(RECENT_ENTRIES).fill(undefined);
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

  /** The runtime's entry points, the funcref globals every block module imports (encodeBlocks). */
  private readonly runtimeGlobals: Record<string, WebAssembly.Global> = {};
  /** Helper tables of compiled modules by module id (a block calls helper(index, module id)). */
  private readonly moduleHelpers = new Map<number, HelperFn[]>();
  /**
   * Modules without a live block, whose helper tables are dropped at the next installAll: a
   * block of the module may still be running (a helper of its own invalidated its page), and
   * installAll runs only between blocks.
   */
  private deadModules: number[] = [];
  private nextModuleId = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    runtime: RuntimeImports,
  ) {
    const rt: Record<string, WebAssembly.ImportValue> = {
      read: runtime.read,
      write: runtime.write,
      raise: runtime.raise,
      resolveFlags: runtime.resolveFlags,
      ...runtime.x87,
      helper: (id: number, moduleId: number): number => (this.moduleHelpers.get(moduleId)![id]() ? 1 : 0),
    };
    runtimeFunctions(memory, rt).forEach((g, i) => (this.runtimeGlobals[BLOCK_IMPORTS[i].name] = g));
  }

  private allocSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    if (this.nextSlot >= this.table.length) this.table.grow(this.table.length);
    return this.nextSlot++;
  }

  get(key: number): Block | undefined {
    const i = recentIndex(key);
    if (this.recentKey[i] === key) return this.recentBlock[i];
    const b = this.blocks.get(key);
    if (b !== undefined) {
      this.recentKey[i] = key;
      this.recentBlock[i] = b;
    }
    return b;
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
    for (const id of this.deadModules) this.moduleHelpers.delete(id);
    this.deadModules = [];
    const id = this.nextModuleId++;
    const bytes = encodeBlocks(sources.map((b) => b.translation), id);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: this.memory }, rt: this.runtimeGlobals });
    this.moduleHelpers.set(id, sources[0].translation.helpers);
    const module: ModuleRecord = { live: sources.length, id };
    this.liveModules++;
    this.modules++;
    return sources.map(({ key, translation: t, pages }, i) => {
      const run = instance.exports[exportName(i)] as () => void;
      const tableIndex = this.allocSlot();
      this.table.set(tableIndex, run);
      const block: Block = { run, tableIndex, instructions: t.instructions.length, pages, key, module, ...(this.keepWasm ? { wasm: bytes } : {}) };
      this.forgetRecent(key); // a key compiled again (install() of a cached key) must not find the old block
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
      this.forgetRecent(key);
      slots.push(b.tableIndex);
      if (--b.module.live === 0) {
        this.liveModules--;
        this.deadModules.push(b.module.id);
      }
      for (const p of b.pages) if (p !== page) this.byPage.get(p)?.delete(key);
    }
    this.onInvalidate(slots);
    for (const slot of slots) this.releaseSlot(slot);
    this.invalidated += set.size;
    return set.size;
  }

  clear(): void {
    this.onInvalidate(undefined);
    for (const id of this.moduleHelpers.keys()) this.deadModules.push(id);
    for (const b of this.blocks.values()) this.releaseSlot(b.tableIndex);
    this.blocks.clear();
    this.recentKey.fill(NaN);
    this.recentBlock.fill(undefined);
    this.byPage.clear();
    this.liveModules = 0;
  }

  private forgetRecent(key: number): void {
    const i = recentIndex(key);
    if (this.recentKey[i] === key) {
      this.recentKey[i] = NaN;
      this.recentBlock[i] = undefined;
    }
  }

  private releaseSlot(slot: number): void {
    this.table.set(slot, null);
    this.freeSlots.push(slot);
  }
}

