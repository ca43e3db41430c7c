/** JSON-pointer helpers (RFC 6901) used for spec paths. */

/** Escapes one path segment (`~` -> `~0`, `/` -> `~1`). */
export function escapeSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Joins a base pointer and further segments: `joinPointer('/steps', 'a', 0)` -> `/steps/a/0`. */
export function joinPointer(base: string, ...segments: Array<string | number>): string {
  return base + segments.map((s) => `/${escapeSegment(s)}`).join('');
}

/** Splits a pointer into unescaped segments; `''` (the document root) gives `[]`. */
export function splitPointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  const body = pointer.startsWith('/') ? pointer.slice(1) : pointer;
  return body.split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
