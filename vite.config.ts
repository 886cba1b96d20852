import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { guestImages } from './guests/linux/vite-plugin.ts';

// SharedArrayBuffer (the guest RAM and vCPU state) needs cross-origin isolation:
// every server that hands out the page must send these two headers.
export const crossOriginIsolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: 'web',
  // Relative asset URLs: the static build works from any sub-path.
  base: './',
  publicDir: '../public',
  server: { headers: crossOriginIsolationHeaders, fs: { allow: ['..'] } },
  preview: { headers: crossOriginIsolationHeaders },
  worker: { format: 'es' },
  // Linux guests built by `npm run guest:linux` (not committed), listed by the page when present.
  plugins: [guestImages(process.env.GUEST_CACHE ?? fileURLToPath(new URL('.cache/guests', import.meta.url)))],
  build: { outDir: '../dist', emptyOutDir: true, target: 'es2022' },
});
