// The few host APIs core/ and jit/ use that are not in the ES2022 library: WebAssembly and
// TextEncoder exist in every browser worker and in Node. Declared here (instead of pulling in
// the DOM or Node typings) so that core/ cannot reach for anything else (STYLE.md rule 9).
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  class Table {
    constructor(descriptor: { element: 'anyfunc' | 'externref'; initial: number; maximum?: number });
    readonly length: number;
    get(index: number): unknown;
    set(index: number, value: unknown): void;
    grow(delta: number): number;
  }
  class Module {
    constructor(bytes: BufferSource);
  }
  class Global {
    constructor(descriptor: { value: 'i32' | 'i64' | 'f32' | 'f64' | 'anyfunc' | 'externref'; mutable?: boolean }, value?: unknown);
    value: unknown;
  }
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- matches the Web IDL type
  type ImportValue = Function | Global | Memory | Table | number;
  type Imports = Record<string, Record<string, ImportValue>>;
  class Instance {
    constructor(module: Module, imports?: Imports);
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- matches the Web IDL type
    readonly exports: Record<string, Function | Memory>;
  }
  function validate(bytes: BufferSource): boolean;
  type BufferSource = ArrayBufferView | ArrayBuffer;
}

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string);
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}
declare function queueMicrotask(callback: () => void): void;
declare const console: { log(...a: unknown[]): void; warn(...a: unknown[]): void; error(...a: unknown[]): void };
declare const performance: { now(): number; readonly timeOrigin: number };
// Timers for the in-kernel devices' host clock (core/kvm/irqchip/host-clock.ts).
declare function setTimeout(callback: () => void, ms?: number): unknown;
declare function clearTimeout(handle: unknown): void;
// Web Crypto's random source (workers and Node 20): RDRAND/RDSEED (jit/emit/random.ts).
declare const crypto: { getRandomValues<T extends Uint8Array | Uint32Array>(array: T): T };
