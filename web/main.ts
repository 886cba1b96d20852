// The demo page: a serial console, the controls, the image picker, live counters and the
// status line around one Session. The default guest boots on load.
import './styles.css';
import { browserPlatform } from '../workers/browser.ts';
import { SerialConsole } from './console.ts';
import { Controls } from './controls.ts';
import { GuestPicker } from './guest-picker.ts';
import { GUESTS, loadBuiltGuests } from './guests.ts';
import { Session } from './session.ts';
import { StatsPanel } from './stats-panel.ts';
import { StatusLine, describeEvent, imageTitle } from './status-line.ts';
import { installTestHook } from './test-hook.ts';

function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`index.html: #${id} missing or not a ${type.name}`);
  return el;
}

const status = new StatusLine(byId('status', HTMLElement));
const serial = new SerialConsole(byId('terminal', HTMLElement), (bytes) => session.sendInput(bytes));
installTestHook({ consoleText: () => serial.text() });

const session = new Session(
  browserPlatform,
  (bytes) => serial.writeGuest(bytes),
  (e) => {
    status.show(describeEvent(e));
    controls.update(session.state);
    if (e.kind === 'booting') {
      stats.restart();
      serial.writeHost(`[wasmkvm] booting ${imageTitle(e.image)}`);
    } else if (e.kind === 'running') serial.focus();
    stats.refresh();
  },
);

const stats = new StatsPanel(
  {
    ips: byId('stat-ips', HTMLElement),
    instructions: byId('stat-instructions', HTMLElement),
    blocks: byId('stat-blocks', HTMLElement),
    tlbMisses: byId('stat-tlb-misses', HTMLElement),
    exits: byId('stat-exits', HTMLTableSectionElement),
  },
  () => session.stats(),
);

let picks = 0;
/** Boots what the picker shows (a fresh machine); reports a picker failure in the status line. */
async function bootSelected(): Promise<void> {
  if (!crossOriginIsolated) return showNotIsolated();
  const pick = ++picks;
  const r = await picker.load();
  // The latest pick wins: a file chosen while the default guest is still being fetched.
  if (pick !== picks) return;
  if (!r.ok) {
    status.show({ state: 'error', text: r.error });
    return;
  }
  await session.boot(r.image);
}

const picker = new GuestPicker(
  {
    guest: byId('guest', HTMLSelectElement),
    file: byId('kernel-file', HTMLInputElement),
    initrdFile: byId('initrd-file', HTMLInputElement),
    diskFile: byId('disk-file', HTMLInputElement),
    cmdline: byId('cmdline', HTMLInputElement),
    mem: byId('mem', HTMLSelectElement),
  },
  GUESTS,
  () => void bootSelected(),
);

const controls = new Controls(
  {
    start: byId('start', HTMLButtonElement),
    stop: byId('stop', HTMLButtonElement),
    reset: byId('reset', HTMLButtonElement),
  },
  {
    start: () => void (session.state === 'stopped' ? session.resume() : bootSelected()),
    stop: () => void session.stop(),
    // Reset boots the selection with the current command line and memory size: as picking a
    // guest boots it, that is the image of the machine being reset.
    reset: () => void bootSelected(),
  },
);
controls.update(session.state);

function showNotIsolated(): void {
  const why =
    'SharedArrayBuffer is not available: this page is not cross-origin isolated. wasmkvm keeps guest RAM in a shared WebAssembly.Memory, ' +
    'so the server must send "Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp" (npm start and npm run preview do).';
  status.show({ state: 'error', text: why });
  controls.disable(why);
}

void bootSelected();
void loadBuiltGuests().then((built) => picker.addGuests(built));
