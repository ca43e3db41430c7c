// The small runtime every skill in this folder shares (bundled into each component by
// `openclaw skills build`). It turns a plain JavaScript function into the `skill` interface of
// wit/skill.wit: JSON text in, JSON text or a typed error out, and a log.
//
//   import { defineSkill, SkillError } from '../lib/skill.js';
//   export const skill = defineSkill((input, { log }) => {
//     if (!Array.isArray(input.rows)) throw new SkillError('InvalidInput', 'rows must be an array');
//     log.info(`${input.rows.length} rows`);
//     return { count: input.rows.length };
//   });
//
// The handler may be async (return a promise): the component runs its event loop until the
// promise settles. It has no clock (Date.now() is fixed at build time), no randomness source
// (Math.random() is deterministic), no files and no network — only `log`.
import { log as hostLog } from 'openclaw:skill/host@1.0.0';

/** A typed failure: `name` is what a spec's `catch` and `retry.nonRetryable` match on. */
export class SkillError extends Error {
  /**
   * @param {string} name
   * @param {string} message
   * @param {{ retryable?: boolean }} [options] retryable defaults to false: a skill is a pure
   *   function of its input, so trying again rarely helps.
   */
  constructor(name, message, options = {}) {
    super(message);
    this.name = name;
    this.retryable = options.retryable === true;
  }
}

function text(args) {
  return args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' ');
}

function safeJson(v) {
  try {
    return v instanceof Error ? `${v.name}: ${v.message}` : (JSON.stringify(v) ?? String(v));
  } catch {
    return String(v);
  }
}

/** Writes lines to the step's log. */
export const log = {
  debug: (...args) => hostLog('debug', text(args)),
  info: (...args) => hostLog('info', text(args)),
  warn: (...args) => hostLog('warn', text(args)),
  error: (...args) => hostLog('error', text(args)),
};

// console.* go to the step's log too (stdio is not granted to skills).
globalThis.console = { ...globalThis.console, log: log.info, info: log.info, debug: log.debug, warn: log.warn, error: log.error };

function toSkillError(err) {
  if (err instanceof SkillError) return { name: err.name, message: err.message, retryable: err.retryable };
  if (err instanceof Error) return { name: err.name || 'Error', message: err.message, retryable: false };
  return { name: 'Error', message: safeJson(err), retryable: false };
}

function toJson(output) {
  const json = JSON.stringify(output === undefined ? null : output);
  if (json === undefined) throw new SkillError('InvalidOutput', 'the skill returned a value that is not JSON');
  return json;
}

/**
 * Wraps `handler(input, { log })` as the component's `skill` export.
 * @param {(input: any, context: { log: typeof log }) => unknown} handler
 */
export function defineSkill(handler) {
  return {
    async run(inputJson) {
      let input;
      try {
        input = JSON.parse(inputJson);
      } catch (err) {
        throw toSkillError(new SkillError('InvalidInput', `the input is not JSON: ${err.message}`));
      }
      try {
        return toJson(await handler(input, { log }));
      } catch (err) {
        throw toSkillError(err);
      }
    },
  };
}
