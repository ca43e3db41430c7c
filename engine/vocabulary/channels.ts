/**
 * PostgreSQL NOTIFY channels. Notifications only wake idle processes: they are sent after commit
 * (never inside a transition transaction: that serialises commits), and every listener also polls,
 * so a lost notification costs at most a poll interval.
 */
export const CHANNELS = {
  /** Steps became ready; the payload is how many (a hint). Idle workers claim. */
  ready: 'openclaw_ready',
  /** A run was cancelled; the payload is its id. Workers abort its running tasks at once. */
  cancel: 'openclaw_cancel',
} as const;
export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];
