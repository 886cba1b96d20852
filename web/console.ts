// The serial console: an xterm.js terminal wired to COM1 both ways. Guest bytes go to the
// screen and into a decoded transcript (for the test hook); keystrokes come back as UTF-8.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';

export class SerialConsole {
  private readonly term: Terminal;
  private readonly decoder = new TextDecoder('utf-8');
  private readonly encoder = new TextEncoder();
  private transcript = '';
  /** Whether the last byte on screen ended a line (host notes start on a line of their own). */
  private atLineStart = true;

  constructor(container: HTMLElement, onInput: (bytes: Uint8Array) => void) {
    this.term = new Terminal({
      convertEol: false, // a serial line: the guest sends its own CR LF
      cursorBlink: true,
      scrollback: 5000,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      theme: { background: '#0b0e14', foreground: '#d6dde6', cursor: '#7fd962' },
    });
    const fit = new FitAddon();
    this.term.loadAddon(fit);
    this.term.open(container);
    fit.fit();
    new ResizeObserver(() => fit.fit()).observe(container);
    this.term.onData((data) => onInput(this.encoder.encode(data)));
  }

  /** Bytes the guest wrote to COM1. */
  writeGuest(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.term.write(bytes);
    this.atLineStart = bytes[bytes.length - 1] === 0x0a;
    this.transcript += this.decoder.decode(bytes, { stream: true });
  }

  /** A note from the page itself (boot, reset): shown dimmed, kept out of the transcript. */
  writeHost(line: string): void {
    this.term.write(`${this.atLineStart ? '' : '\r\n'}\x1b[2m${line}\x1b[0m\r\n`);
    this.atLineStart = true;
  }

  /** Everything the guest printed so far, decoded. */
  text(): string {
    return this.transcript;
  }

  focus(): void {
    this.term.focus();
  }
}
