/**
 * Size limits applied while parsing a spec. They exist so a hostile or accidental spec (a YAML
 * "billion laughs", a 100k-step DAG, deep nesting) is rejected in well under a second, and every
 * rejection names the limit and how to raise it.
 */

export interface SpecLimits {
  /** Largest spec text in bytes (UTF-8). */
  maxBytes: number;
  /** Largest number of YAML alias expansions (yaml's `maxAliasCount`); blocks "billion laughs". */
  maxAliasCount: number;
  /** Deepest nesting of maps/sequences. */
  maxDepth: number;
  /** Most YAML/JSON nodes (scalars, maps, sequences, after alias expansion). */
  maxNodes: number;
  /** Most steps/states in total, including those inside parallel branches. */
  maxSteps: number;
}

export const defaultSpecLimits: Readonly<SpecLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxAliasCount: 100,
  maxDepth: 64,
  maxNodes: 200_000,
  maxSteps: 5_000,
});

/** Environment variable that overrides each limit (read by `specLimitsFromEnv`). */
export const specLimitEnvVars: Readonly<Record<keyof SpecLimits, string>> = Object.freeze({
  maxBytes: 'OPENCLAW_SPEC_MAX_BYTES',
  maxAliasCount: 'OPENCLAW_SPEC_MAX_ALIAS_COUNT',
  maxDepth: 'OPENCLAW_SPEC_MAX_DEPTH',
  maxNodes: 'OPENCLAW_SPEC_MAX_NODES',
  maxSteps: 'OPENCLAW_SPEC_MAX_STEPS',
});

/**
 * Reads limit overrides from the environment (`OPENCLAW_SPEC_MAX_BYTES`, ...). Unset or invalid
 * values (not a non-negative integer) keep the default.
 */
export function specLimitsFromEnv(env: Record<string, string | undefined> = process.env): SpecLimits {
  const limits: SpecLimits = { ...defaultSpecLimits };
  for (const key of Object.keys(specLimitEnvVars) as Array<keyof SpecLimits>) {
    const raw = env[specLimitEnvVars[key]];
    if (raw !== undefined && /^[0-9]+$/.test(raw.trim())) limits[key] = Number(raw.trim());
  }
  return limits;
}

/** Fills in the limits not given: from the `OPENCLAW_SPEC_MAX_*` environment variables, else the defaults. */
export function resolveSpecLimits(partial: Partial<SpecLimits> | undefined): SpecLimits {
  return { ...specLimitsFromEnv(), ...(partial ?? {}) };
}

/** The "how to raise it" sentence appended to every limit error. */
export function limitHint(key: keyof SpecLimits, value: number): string {
  return `(limit ${key} = ${value}; raise it with the spec limits option \`${key}\` or the ${specLimitEnvVars[key]} environment variable)`;
}
