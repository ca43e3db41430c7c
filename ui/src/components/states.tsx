/** The loading, empty and error states every page shows. */
import type { ReactNode } from 'react';
import { OpenClawError } from '../data/http';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="state loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state empty">{children}</div>;
}

export function errorMessage(err: unknown): string {
  if (err instanceof OpenClawError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const notFound = error instanceof OpenClawError && error.status === 404;
  return (
    <div className="state error" role="alert">
      <strong>{notFound ? 'Not found' : 'Something went wrong'}</strong>
      <p>{errorMessage(error)}</p>
      {retry && !notFound && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}
