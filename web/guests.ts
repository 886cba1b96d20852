// The project's own demo guests, served from public/guests/ (built from guests/). URLs are
// relative to the page, so the same manifest works on the dev server and in a static build.
export interface GuestEntry {
  /** What the picker shows. */
  name: string;
  /** Relative to the page. */
  url: string;
  /** Kernel command line (multiboot cmdline). */
  append: string;
}

export const GUESTS: readonly GuestEntry[] = [
  { name: 'demo shell', url: 'guests/demo.elf', append: 'console=ttyS0' },
];
