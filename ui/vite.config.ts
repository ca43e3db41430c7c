/**
 * The web UI's build (`npm run build` runs it after tsc): ui/ into dist/ui, served by the API
 * (api/ui.ts). No CDN: every asset is bundled. The manifest tells the server the folder is a build.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  publicDir: path.join(here, 'public'),
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: path.join(here, '../dist/ui'),
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    // No inline <script>, no data: module preloads: the CSP is script-src 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // ELK (in the lazily loaded graph chunk) is ~1.4 MB by itself.
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      checks: { pluginTimings: false },
      onwarn(warning, warn) {
        // React Flow's 'use client' directives mean nothing without server components.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080' } },
});
