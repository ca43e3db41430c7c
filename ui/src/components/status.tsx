/** A status as text with a colour and a shape (never colour alone). */
const ICON: Record<string, string> = {
  succeeded: '✓',
  failed: '✕',
  dead: '✕',
  cancelled: '⊘',
  skipped: '↷',
  running: '▶',
  retrying: '↻',
  waiting: '◔',
  queued: '…',
  pending: '○',
  ready: '◌',
};

export const ACTIVE_RUN = new Set(['queued', 'running', 'waiting']);

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`status status-${status}`}>
      <span aria-hidden="true">{ICON[status] ?? '•'}</span> {status}
    </span>
  );
}
