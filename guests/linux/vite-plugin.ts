// Serves the Linux guests that `npm run guest:linux` built (.cache/guests/<arch>/) to the
// page: the dev and preview servers answer guest-images/index.json and the image files
// from the cache, and `vite build` copies them into the static site. The images are never
// committed (they are Debian's binaries), so a machine that has not built them gets an
// empty list and the page offers only the demo guest.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';

/** One built guest as the page's manifest lists it (web/guests.ts reads it). */
export interface GuestImageManifestEntry {
  name: string;
  /** Relative to the page. */
  kernel: string;
  initrd: string;
  append: string;
  memMiB: number;
}

export const GUEST_IMAGES_PATH = 'guest-images';
const FILES = ['vmlinuz', 'initrd.img'] as const;
/** Debian's names for the two architectures the script builds. */
const ARCH_TITLE: Record<string, string> = { amd64: 'Debian amd64', i386: 'Debian i386 (686)' };

/** The kernel release from the config the script saved beside the image ("Linux/x86 6.1.192 Kernel Configuration"). */
function kernelRelease(dir: string): string | undefined {
  const config = join(dir, 'config');
  if (!existsSync(config)) return undefined;
  return /^# Linux\/x86 (\S+) Kernel Configuration/m.exec(readFileSync(config, 'utf8'))?.[1];
}

export function guestImageManifest(cacheDir: string): GuestImageManifestEntry[] {
  if (!existsSync(cacheDir)) return [];
  return readdirSync(cacheDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && FILES.every((f) => existsSync(join(cacheDir, d.name, f))))
    .map((d) => d.name)
    .sort()
    .map((arch) => {
      const release = kernelRelease(join(cacheDir, arch));
      return {
        name: `${ARCH_TITLE[arch] ?? arch} Linux${release ? ` ${release}` : ''} + busybox`,
        kernel: `${GUEST_IMAGES_PATH}/${arch}/vmlinuz`,
        initrd: `${GUEST_IMAGES_PATH}/${arch}/initrd.img`,
        append: 'console=ttyS0',
        memMiB: 256,
      };
    });
}

export function guestImages(cacheDir: string): Plugin {
  const serve = (server: { middlewares: { use: (fn: (req: { url?: string }, res: ServerResponseLike, next: () => void) => void) => void } }): void => {
    server.middlewares.use((req, res, next) => {
      const url = (req.url ?? '').split('?')[0];
      const at = url.indexOf(`/${GUEST_IMAGES_PATH}/`);
      if (at < 0) return next();
      const rest = url.slice(at + GUEST_IMAGES_PATH.length + 2);
      if (rest === 'index.json') {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(guestImageManifest(cacheDir)));
        return;
      }
      const m = /^([a-z0-9_-]+)\/(vmlinuz|initrd\.img)$/.exec(rest);
      const file = m ? join(cacheDir, m[1], m[2]) : undefined;
      if (!file || !existsSync(file)) {
        res.statusCode = 404;
        res.end('not built: run npm run guest:linux');
        return;
      }
      res.setHeader('Content-Type', 'application/octet-stream');
      res.end(readFileSync(file));
    });
  };
  return {
    name: 'wasmkvm-guest-images',
    configureServer: serve,
    configurePreviewServer: serve,
    generateBundle() {
      const manifest = guestImageManifest(cacheDir);
      this.emitFile({ type: 'asset', fileName: `${GUEST_IMAGES_PATH}/index.json`, source: JSON.stringify(manifest) });
      for (const g of manifest)
        for (const rel of [g.kernel, g.initrd])
          this.emitFile({ type: 'asset', fileName: rel, source: readFileSync(join(cacheDir, rel.slice(GUEST_IMAGES_PATH.length + 1))) });
    },
  };
}

interface ServerResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): void;
  end(body?: string | Uint8Array): void;
}
