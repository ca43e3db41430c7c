/**
 * The signed-in key and the chosen namespace. The key lives in sessionStorage only (this tab, until
 * it closes): never in localStorage, a URL or a log. A sign-in link carries it in the fragment
 * (`/#key=...`, which browsers never send to a server); `takeKeyFromFragment()` moves it to
 * sessionStorage and removes it from the address bar before anything renders.
 */
const KEY = 'openclaw.apiKey';
const NAMESPACE = 'openclaw.namespace';

type Listener = () => void;
const listeners = new Set<Listener>();
const changed = (): void => listeners.forEach((l) => l());

export function subscribeSession(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function getKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setKey(key: string): void {
  sessionStorage.setItem(KEY, key.trim());
  changed();
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  changed();
}

export function getNamespace(): string {
  return sessionStorage.getItem(NAMESPACE) ?? 'default';
}

export function setNamespace(ns: string): void {
  sessionStorage.setItem(NAMESPACE, ns);
  changed();
}

/** Reads `#key=...` (and `#...&key=...`), stores it, and strips it from the address bar at once. */
export function takeKeyFromFragment(): void {
  const hash = window.location.hash.slice(1);
  if (!hash) return;
  const params = new URLSearchParams(hash);
  const key = params.get('key');
  if (key === null) return;
  params.delete('key');
  const rest = params.toString();
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search + (rest ? `#${rest}` : ''));
  if (key.trim()) setKey(key);
}
