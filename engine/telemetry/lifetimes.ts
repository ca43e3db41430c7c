/**
 * Registry of long-lived things (engines, workers, schedulers) that must be stopped. Tests check it
 * is empty after each file (test/helpers/leak-check.ts) so a leaked pool or loop fails the suite.
 */
const open = new Map<number, string>();
let seq = 0;

/** Registers a handle; call the returned function when it is closed. */
export function trackHandle(label: string): () => void {
  const id = ++seq;
  open.set(id, label);
  return () => void open.delete(id);
}

/** Labels of handles still open. */
export function openHandles(): string[] {
  return [...open.values()];
}
