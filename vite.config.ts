import { defineConfig } from 'vite';

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
  build: { outDir: '../dist', emptyOutDir: true, target: 'es2022' },
});
