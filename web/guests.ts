// The project's own demo guests, served from public/guests/ (built from guests/). URLs are
// relative to the page, so the same manifest works on the dev server and in a static build.
export interface GuestEntry {
  /** What the picker shows. */
  name: string;
  /** Relative to the page. */
  url: string;
  /** Kernel command line (multiboot cmdline). */
  append: string;
  /** Initial RAM disk (Linux guests), relative to the page. */
  initrdUrl?: string;
  /** Memory the guest needs; the picker selects it. */
  memMiB?: number;
}

export const GUESTS: readonly GuestEntry[] = [
  { name: 'demo shell', url: 'guests/demo.elf', append: 'console=ttyS0' },
];

/**
 * The Linux guests `npm run guest:linux` built, as the server lists them
 * (guests/linux/vite-plugin.ts). None when they were not built or the list is unreachable.
 */
export async function loadBuiltGuests(): Promise<GuestEntry[]> {
  try {
    const res = await fetch(new URL('guest-images/index.json', document.baseURI));
    if (!res.ok || !res.headers.get('content-type')?.includes('json')) return [];
    const list = (await res.json()) as { name: string; kernel: string; initrd: string; append: string; memMiB: number }[];
    return list.map((g) => ({ name: g.name, url: g.kernel, initrdUrl: g.initrd, append: g.append, memMiB: g.memMiB }));
  } catch {
    return [];
  }
}
