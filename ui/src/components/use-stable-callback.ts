/**
 * A callback that stays the same function for a component's whole life yet always calls the
 * latest `fn`: for memoised rows, whose page makes a new closure on every render.
 */
import { useCallback, useEffect, useRef } from 'react';

export function useStableCallback<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  const latest = useRef(fn);
  useEffect(() => {
    latest.current = fn;
  });
  return useCallback((...args: A) => latest.current(...args), []);
}
