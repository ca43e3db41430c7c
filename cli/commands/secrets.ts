/**
 * `openclaw secret set|list|delete` (over the API; values are write-only) and `openclaw secret
 * rotate` (against the database: re-wraps every stored value under the current master key).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { clientOf, contextOf, printNextPage, withPaging, withUrl } from '../context.js';
import { UsageError } from '../errors.js';
import { defined } from '../client.js';
import { formatTime, table } from '../output.js';

export function registerSecrets(program: Command): void {
  const secret = program.command('secret').description('manage secrets (values are write-only: they are never shown again)');

  withUrl(
    secret
      .command('set <name>')
      .description('store a secret, or replace its value; reads the value from stdin unless --value is given')
      .option('--value <value>', 'the value (visible in your shell history: prefer stdin)'),
  ).action(async (name: string, opts: { value?: string }, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    let value = opts.value;
    if (value === undefined) {
      if (process.stdin.isTTY)
        throw new UsageError('pipe the value on stdin (e.g. `printf %s "$TOKEN" | openclaw secret set NAME`) or pass --value');
      value = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
    }
    const res = await clientOf(cmd).PUT('/v1/secrets/{name}', { params: { path: { name } }, body: { value } });
    if (json) return print.json(res.body);
    print.out(`${res.status === 201 ? 'created' : 'updated'} secret ${name} (use it as \${{ secrets.${name} }} in a task block)`);
  });

  withPaging(withUrl(secret.command('list').description('list secret names and when they were set'))).action(
    async (opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const { json, print } = contextOf(cmd);
      const { body } = await clientOf(cmd).GET('/v1/secrets', { params: { query: defined({ limit: opts.limit, cursor: opts.cursor }) } });
      if (json) return print.json(body);
      if (body.items.length === 0) return print.out('no secrets (add one with `openclaw secret set NAME`)');
      print.out(
        table(
          ['NAME', 'CREATED', 'UPDATED'],
          body.items.map((s) => [s.name, formatTime(s.createdAt), formatTime(s.updatedAt)]),
        ),
      );
      printNextPage(print, 'openclaw secret list', body.nextCursor);
    },
  );

  withUrl(secret.command('delete <name>').description('delete a secret (tasks that use it then fail with SecretNotFound)')).action(
    async (name: string, _opts: unknown, cmd: Command) => {
      const { json, print } = contextOf(cmd);
      await clientOf(cmd).DELETE('/v1/secrets/{name}', { params: { path: { name } } });
      if (json) return print.json({ deleted: name });
      print.out(`deleted secret ${name}`);
    },
  );

  secret
    .command('rotate')
    .description('re-wrap every stored secret under OPENCLAW_SECRET_KEY (old keys in OPENCLAW_SECRET_KEY_PREVIOUS); uses DATABASE_URL')
    .addHelpText(
      'after',
      `
Rotation: set OPENCLAW_SECRET_KEY to the new key and OPENCLAW_SECRET_KEY_PREVIOUS to the old one
on every server and worker (both keys are then readable), run this once, then drop the old key.`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const { runRotate } = await import('../runtime/secrets-rotate.js');
      await runRotate(contextOf(cmd));
    });
}
