/**
 * Downloading an artifact from the page. `GET /v1/artifacts/{id}` needs the key, and the key never
 * goes in a URL (docs/ui.md), so a plain `<a href>` to the API cannot work: the page fetches the bytes
 * through the typed client (the key in the Authorization header, like every call), reads them as they
 * stream into one buffer of the artifact's size, checks them (the size, and the SHA-256 where the
 * page has `crypto.subtle`, i.e. a secure context: https or loopback), and hands them to the browser
 * as a Blob behind an object URL with `<a download="<name>">`.
 *
 * That holds the whole artifact in the tab's memory (about twice, briefly, while the Blob is made),
 * so the page does it only up to BROWSER_DOWNLOAD_LIMIT (download-plan.ts); a larger artifact is
 * offered as the CLI command, which streams to disk and checks the digest as it goes.
 */
import { errorOf } from '../../../client/index';
import type { Artifact } from './types';
import { client, OpenClawError } from './http';

/** Lower-case hex SHA-256, or null where the page has no `crypto.subtle` (not a secure context). */
async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle as SubtleCrypto | undefined;
  if (!subtle) return null;
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface Fetched {
  blob: Blob;
  /** Whether the SHA-256 was checked (the size always is). */
  digestChecked: boolean;
}

/**
 * The artifact's bytes, streamed and checked against its recorded size and SHA-256. `onProgress`
 * gets the bytes received so far. Throws OpenClawError for an API error (404, 503, ...), and an Error
 * naming what differs when the bytes are not the artifact's.
 */
export async function fetchArtifact(
  a: Pick<Artifact, 'id' | 'name' | 'size' | 'sha256' | 'mediaType'>,
  opts: { signal: AbortSignal; onProgress(received: number): void },
): Promise<Fetched> {
  const { data, error, response } = await client.GET('/v1/artifacts/{id}', {
    params: { path: { id: a.id } },
    parseAs: 'stream',
    headers: { accept: '*/*' },
    // Not kept in the browser's HTTP cache: the bytes may be anything a step wrote.
    cache: 'no-store',
    signal: opts.signal,
  });
  if (!response.ok) throw new OpenClawError(response.status, errorOf(response.status, error));
  const bytes = new Uint8Array(a.size);
  let received = 0;
  if (data) {
    const reader = data.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (received + value.length > a.size) throw new Error(`${a.name}: the server sent more than its ${a.size} bytes`);
        bytes.set(value, received);
        received += value.length;
        opts.onProgress(received);
      }
    } finally {
      reader.releaseLock();
      void data.cancel().catch(() => undefined);
    }
  }
  if (received !== a.size) throw new Error(`${a.name}: received ${received} of its ${a.size} bytes`);
  const sha256 = await sha256Hex(bytes);
  if (sha256 !== null && sha256 !== a.sha256) {
    throw new Error(`${a.name}: the bytes received have SHA-256 ${sha256}, the artifact's is ${a.sha256}`);
  }
  return { blob: new Blob([bytes], { type: a.mediaType }), digestChecked: sha256 !== null };
}

/** Hands a Blob to the browser as a download named `name` (an object URL; nothing goes to a server). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later, not at once: a browser may still be reading the Blob when click() returns.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
