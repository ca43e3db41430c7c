/** `notify:` in specs (schema + compiler) and OPENCLAW_NOTIFY_HOOKS in the configuration: pure, no database. */
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../engine/index.js';
import { loadConfig } from '../../engine/config.js';
import { parseNotifyHooks } from '../../engine/notify/hooks.js';
import { compileSpec } from '../../engine/spec/compile.js';

function problems(text: string): string[] {
  try {
    compileSpec(text);
  } catch (err) {
    if (err instanceof SpecError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

const spec = (notify: string): string => `name: x\nsteps: { a: { run: noop } }\nnotify:\n${notify}`;

describe('notify: in the spec', () => {
  it('compiles targets, with every outcome when `on` is left out', () => {
    const { compiled } = compileSpec(
      spec('  - url: https://ops.example.com/hook\n    secret: OPS_SECRET\n    on: [failed, cancelled]\n  - hook: team-a\n'),
    );
    expect(compiled.notify).toEqual([
      { url: 'https://ops.example.com/hook', secret: 'OPS_SECRET', on: ['failed', 'cancelled'] },
      { hook: 'team-a', on: ['succeeded', 'failed', 'cancelled'] },
    ]);
    expect(compileSpec('name: x\nsteps: { a: { run: noop } }\n').compiled.notify).toEqual([]);
  });

  it('rejects malformed targets with one message each, at their path', () => {
    expect(
      problems(
        spec(
          [
            '  - url: ftp://files.example.com/',
            '  - hook: Ops',
            '  - { on: [failed] }',
            '  - { url: "https://a.example/", hook: ops }',
            '  - { hook: ops, secret: MINE }',
            '  - { url: "https://a.example/", on: [done] }',
            '  - { url: "https://a.example/", on: [] }',
            '  - { url: "https://a.example/", on: [failed, failed] }',
            '  - { url: "https://a.example/", secret: "not a name" }',
            '  - { url: "https://a.example/", onn: [failed] }',
            '',
          ].join('\n'),
        ),
      ),
    ).toEqual([
      '/notify/0/url: must be an absolute http:// or https:// URL',
      "/notify/1/hook: must name a notify hook configured in OPENCLAW_NOTIFY_HOOKS (lowercase letters, digits and '-')",
      '/notify/2: a notify target needs `url` (an endpoint) or `hook` (a target named in OPENCLAW_NOTIFY_HOOKS)',
      '/notify/3: a notify target has either `url` or `hook`, not both',
      '/notify/4: a `hook` target is signed with the secret its hook configuration names (OPENCLAW_NOTIFY_HOOKS); remove `secret`',
      '/notify/5/on/0: must be one of: "succeeded", "failed", "cancelled"',
      '/notify/6/on: list at least one outcome, or leave `on` out for all three',
      '/notify/7/on: lists an outcome twice',
      "/notify/8/secret: must be the name of a stored secret (letters, digits and '_', not starting with a digit)",
      '/notify/9/onn: unknown property `onn` (did you mean `on`?)',
    ]);
    expect(problems('name: x\nsteps: { a: { run: noop } }\nnotify: { url: "https://a.example/" }\n')).toEqual([
      '/notify: must be an array',
    ]);
  });

  it('rejects unparsable URLs, credentials in URLs and a target listed twice', () => {
    expect(
      problems(
        spec(
          '  - url: "https://[oops/"\n  - url: https://user:pw@a.example/\n  - url: https://b.example/\n  - url: https://b.example/\n    on: [failed]\n',
        ),
      ),
    ).toEqual([
      '/notify/0/url: not a valid URL: "https://[oops/"',
      '/notify/1/url: must not carry credentials (user:password@); sign deliveries with `secret` instead',
      '/notify/3: the same target as /notify/2; list it once with every outcome in `on`',
    ]);
  });
});

describe('OPENCLAW_NOTIFY_HOOKS', () => {
  it('parses named targets; secret optional', () => {
    const hooks = parseNotifyHooks('{"ops": {"url": "https://ops.example.com/h", "secret": "OPS"}, "log": {"url": "http://10.0.0.5/in"}}');
    expect([...hooks]).toEqual([
      ['ops', { url: 'https://ops.example.com/h', secret: 'OPS' }],
      ['log', { url: 'http://10.0.0.5/in', secret: null }],
    ]);
    expect(parseNotifyHooks('').size).toBe(0);
  });

  it('refuses a bad value at start-up, naming the variable and the problem', () => {
    const bad = (raw: string): string => {
      try {
        loadConfig({ databaseUrl: 'postgres://x/y', notifyHooks: raw }, {});
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    };
    expect(bad('ops=https://x')).toMatch(/notifyHooks \(OPENCLAW_NOTIFY_HOOKS\) must be a JSON object/);
    expect(bad('{"Ops": {"url": "https://x.example"}}')).toMatch(/hook name "Ops" must match/);
    expect(bad('{"ops": {"url": "ftp://x.example"}}')).toMatch(/hook ops: url must be http or https/);
    expect(bad('{"ops": {"url": "https://u:p@x.example"}}')).toMatch(/must not carry credentials/);
    expect(bad('{"ops": {"url": "https://x.example", "secret": "a b"}}')).toMatch(/hook ops: secret must be the name of a stored secret/);
    expect(bad('{"ops": {"url": "https://x.example", "headers": {}}}')).toMatch(/unknown field "headers"/);
    expect(bad('{"ops": {}}')).toMatch(/hook ops needs a url/);
    expect(() => loadConfig({ databaseUrl: 'postgres://x/y', notifyMaxAttempts: 0 }, {})).toThrow(
      /notifyMaxAttempts \(OPENCLAW_NOTIFY_MAX_ATTEMPTS\) must be an integer from 1 to 32767/,
    );
  });
});
