/**
 * Just before a task runs: swap the secret placeholders of its evaluated block for values read
 * from the store (one query, only when there are placeholders). Failures are non-retryable and
 * name the secret, never a value.
 */
import { NonRetryableError } from '../errors.js';
import type { EngineCore } from './runs-api.js';
import { placeholderNames, substitutePlaceholders } from '../secrets/placeholders.js';
import { readSecrets } from '../secrets/store.js';

/** `ns` is the run's namespace: its secrets are the only ones a task can read. */
export async function resolveTaskSecrets(core: EngineCore, ns: string, spec: unknown): Promise<{ spec: unknown; values: string[] }> {
  const names = placeholderNames(spec);
  if (names.length === 0) return { spec, values: [] };
  if (core.keyring.all.length === 0) {
    throw new NonRetryableError(
      'SecretsUnavailable',
      `this worker has no OPENCLAW_SECRET_KEY, so it cannot resolve secrets ${names.join(', ')}`,
    );
  }
  const values = await readSecrets(core, ns, core.keyring, names);
  const missing = names.filter((n) => !values.has(n));
  if (missing.length > 0) {
    throw new NonRetryableError('SecretNotFound', `secret ${missing.join(', ')} is not set (PUT /v1/secrets/${missing[0]})`);
  }
  return { spec: substitutePlaceholders(spec, values), values: [...values.values()] };
}
