/**
 * Which way an artifact is downloaded from the page (download.ts): in the tab up to
 * BROWSER_DOWNLOAD_LIMIT, which it holds in memory whole; above it, the CLI command that streams it
 * to disk. Pure (no browser, no API), so unit tests import it.
 */
import type { Artifact } from './types.js';

/** The largest artifact the page downloads itself (100 MiB). */
export const BROWSER_DOWNLOAD_LIMIT = 100 * 1024 * 1024;

export type DownloadPlan = { kind: 'browser' } | { kind: 'cli'; command: string };

/** Where the page is: the API's origin (the UI is served by the API) and the namespace it acts in. */
export interface ApiPlace {
  origin: string;
  namespace: string;
}

/**
 * The command that downloads an artifact with the CLI, complete: `--url` (the API is the page's own
 * origin) and, outside the default namespace, `--namespace`. The key is not in it: the CLI reads it
 * from OPENCLAW_API_KEY. Names, ids, origins and namespaces need no shell quoting (names match
 * `^[A-Za-z0-9][A-Za-z0-9_.-]*$`).
 */
export function cliCommand(a: Pick<Artifact, 'id' | 'name'>, at: ApiPlace): string {
  const words = ['openclaw', 'artifact', 'get', a.id, '-o', a.name, '--url', at.origin];
  if (at.namespace !== 'default') words.push('--namespace', at.namespace);
  return words.join(' ');
}

/** In the browser up to the limit, else the CLI command. */
export function downloadPlan(a: Pick<Artifact, 'id' | 'name' | 'size'>, at: ApiPlace): DownloadPlan {
  return a.size <= BROWSER_DOWNLOAD_LIMIT ? { kind: 'browser' } : { kind: 'cli', command: cliCommand(a, at) };
}
