// A read-only hook for the browser end-to-end tests (tests/browser/): what the guest printed,
// decoded, so a test never has to scrape the terminal's canvas. Nothing else is exposed.
export interface WasmkvmTestHook {
  /** Everything the guest wrote to COM1 since the page loaded, as UTF-8 text. */
  consoleText(): string;
}

declare global {
  interface Window {
    __wasmkvm?: WasmkvmTestHook;
  }
}

export function installTestHook(hook: WasmkvmTestHook): void {
  window.__wasmkvm = hook;
}
