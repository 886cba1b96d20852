// The one module that imports binaryen (STYLE.md anti-patterns: "binaryen everywhere").
//
// DESIGN.md measured no gain from binaryen's optimizer on our blocks once V8 tiers them up,
// and 60-270 us per function to build, against 13-18 us for the direct encoder; so the JIT
// does not use it. It earns its place as an independent validator of the modules the direct
// encoder writes (tests) and as a printer of a block's Wasm in the text format (teaching).
// Loading it costs ~0.4 s and ~75 MiB: keep it off the hot path and out of the page bundle.
import binaryen from 'binaryen';

function read(bytes: Uint8Array): binaryen.Module {
  const mod = binaryen.readBinary(bytes);
  // Shared memory and atomics (threads), sign extension, bulk memory, tail calls...
  mod.setFeatures(binaryen.Features.All);
  return mod;
}

/** Whether binaryen's validator accepts the module. */
export function validateWasm(bytes: Uint8Array): boolean {
  const mod = read(bytes);
  try {
    return mod.validate() !== 0;
  } finally {
    mod.dispose();
  }
}

/** The module in the WebAssembly text format, as binaryen prints it. */
export function wasmToText(bytes: Uint8Array): string {
  const mod = read(bytes);
  try {
    return mod.emitText();
  } finally {
    mod.dispose();
  }
}
