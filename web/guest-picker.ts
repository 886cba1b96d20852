// Which kernel to boot: one of the project's demo guests (fetched relative to the page) or a
// file the user supplies, plus the command line and the memory size. Loading never throws:
// a missing file or a failed fetch comes back as a message for the status line.
import type { GuestEntry } from './guests.ts';
import type { BootImage } from './session.ts';

export interface GuestPickerElements {
  guest: HTMLSelectElement;
  file: HTMLInputElement;
  /** The user's initramfs for their own kernel. */
  initrdFile: HTMLInputElement;
  /** A raw disk image for virtio-blk, with any guest. */
  diskFile: HTMLInputElement;
  cmdline: HTMLInputElement;
  mem: HTMLSelectElement;
}

export type LoadResult = { ok: true; image: BootImage } | { ok: false; error: string };

const FILE_OPTION = 'file';
const MiB = 1024 * 1024;

export class GuestPicker {
  private userFile: { file: File; data: Promise<Uint8Array> } | undefined;
  private readonly fetched = new Map<string, Uint8Array>();

  private readonly guests: GuestEntry[];

  constructor(
    private readonly el: GuestPickerElements,
    guests: readonly GuestEntry[],
    onPick: () => void,
  ) {
    this.guests = [...guests];
    this.guests.forEach((g, i) => el.guest.add(new Option(g.name, String(i))));
    el.guest.value = '0';
    el.cmdline.value = guests[0]?.append ?? '';
    el.guest.addEventListener('change', () => {
      const entry = this.entry();
      if (entry) {
        el.cmdline.value = entry.append;
        if (entry.memMiB) el.mem.value = String(entry.memMiB);
      }
      onPick();
    });
    el.file.addEventListener('change', () => {
      const file = el.file.files?.[0];
      if (!file) return;
      this.userFile = { file, data: file.arrayBuffer().then((b) => new Uint8Array(b)) };
      let opt = [...el.guest.options].find((o) => o.value === FILE_OPTION);
      if (!opt) el.guest.add((opt = new Option('', FILE_OPTION)));
      opt.textContent = `your kernel: ${file.name}`;
      el.guest.value = FILE_OPTION;
      onPick();
    });
  }

  /** Adds guests found after the page loaded (the built Linux images), after the user-file option if any. */
  addGuests(more: readonly GuestEntry[]): void {
    const fileOpt = [...this.el.guest.options].find((o) => o.value === FILE_OPTION);
    for (const g of more) {
      this.guests.push(g);
      this.el.guest.add(new Option(g.name, String(this.guests.length - 1)), fileOpt ?? null);
    }
  }

  /** Reads the selected kernel and the boot settings. */
  async load(): Promise<LoadResult> {
    const append = this.el.cmdline.value;
    const memBytes = Number(this.el.mem.value) * MiB;
    const disk = await readPicked(this.el.diskFile);
    if (typeof disk === 'string') return { ok: false, error: disk };
    if (this.el.guest.value === FILE_OPTION && this.userFile) {
      const { file, data } = this.userFile;
      const initrd = await readPicked(this.el.initrdFile);
      if (typeof initrd === 'string') return { ok: false, error: initrd };
      try {
        return { ok: true, image: { label: file.name, name: file.name, data: await data, initrd: initrd?.data, disk, append, memBytes } };
      } catch (e) {
        return { ok: false, error: `cannot read ${file.name}: ${(e as Error).message}` };
      }
    }
    const entry = this.entry();
    if (!entry) return { ok: false, error: 'no guest selected' };
    const [data, initrd] = await Promise.all([this.fetchGuest(entry.url), entry.initrdUrl ? this.fetchGuest(entry.initrdUrl) : undefined]);
    if (typeof data === 'string') return { ok: false, error: data };
    if (typeof initrd === 'string') return { ok: false, error: initrd };
    const name = entry.url.slice(entry.url.lastIndexOf('/') + 1);
    return { ok: true, image: { label: entry.name, name, data, initrd, disk, append, memBytes } };
  }

  private entry(): GuestEntry | undefined {
    return this.guests[Number(this.el.guest.value)];
  }

  private async fetchGuest(url: string): Promise<Uint8Array | string> {
    const cached = this.fetched.get(url);
    if (cached) return cached;
    const abs = new URL(url, document.baseURI);
    let res: Response;
    try {
      res = await fetch(abs);
    } catch (e) {
      return `cannot fetch ${abs}: ${(e as Error).message}`;
    }
    if (!res.ok) return `cannot fetch ${abs}: HTTP ${res.status} ${res.statusText}`;
    // A dev server answers unknown paths with the app's index.html.
    if (res.headers.get('content-type')?.startsWith('text/html'))
      return `cannot fetch ${abs}: the server sent an HTML page, not a kernel (is the file missing?)`;
    const data = new Uint8Array(await res.arrayBuffer());
    this.fetched.set(url, data);
    return data;
  }
}

/** The file picked in `input` (name and bytes), undefined when none, or an error message. */
async function readPicked(input: HTMLInputElement): Promise<{ name: string; data: Uint8Array } | undefined | string> {
  const file = input.files?.[0];
  if (!file) return undefined;
  try {
    return { name: file.name, data: new Uint8Array(await file.arrayBuffer()) };
  } catch (e) {
    return `cannot read ${file.name}: ${(e as Error).message}`;
  }
}
