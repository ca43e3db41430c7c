/** The openclaw package version (package.json), as workers report it (`GET /v1/workers`). */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  // engine/version.ts in the source tree, dist/engine/version.js when built.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'openclaw' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}

export const OPENCLAW_VERSION: string = readVersion();
