/**
 * Just before a task runs: swap the secret placeholders of its evaluated block for values read
 * from the store (one query, only when there are placeholders). Failures are non-retryable and
 * name the secret, never a value.
 */
import { NonRetryableError } from '../errors.js';
import type { EngineCore } from './runs-api.js';
import { placeholderNames, substitutePlaceholders } from '../secrets/placeholders.js';
import { readSecrets } from '../secrets/store.js';

export async function resolveTaskSecrets(core: EngineCore, spec: unknown): Promise<{ spec: unknown; values: string[] }> {
  const names = placeholderNames(spec);
  if (names.length === 0) return { spec, values: [] };
  if (core.keyring.all.length === 0) {
    throw new NonRetryableError(
      'SecretsUnavailable',
      `this worker has no OPENCLAW_SECRET_KEY, so it cannot resolve secrets ${names.join(', ')}`,
    );
  }
  const values = await readSecrets(core, core.keyring, names);
  const missing = names.filter((n) => !values.has(n));
  if (missing.length > 0) {
    throw new NonRetryableError('SecretNotFound', `secret ${missing.join(', ')} is not set (PUT /v1/secrets/${missing[0]})`);
  }
  return { spec: substitutePlaceholders(spec, values), values: [...values.values()] };
}
