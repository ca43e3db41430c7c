/** What every command needs: the global flags (`--json`, `--no-color`), a printer, an API client. */
import { Option, type Command } from 'commander';
import { ApiClient, DEFAULT_NAMESPACE, DEFAULT_URL } from './client.js';
import { apiKeyFor } from './credentials.js';
import { intArg } from './input.js';
import { createPrinter, useColor, type Printer } from './output.js';

export interface Context {
  /** `--json`: print machine-readable JSON on stdout instead of text. */
  json: boolean;
  print: Printer;
}

/**
 * `--json` and `--no-color` are accepted before the command (`openclaw --json runs`) and after it
 * (`openclaw runs --json`): each command declares them too, since the program's options stop at
 * the command name (so that `run --version 2` is the run's flag, not the program's).
 */
export function withCommonOptions(cmd: Command): Command {
  if (cmd.options.some((o) => o.long === '--json')) return cmd;
  return cmd.option('--json', 'machine-readable JSON output').option('--no-color', 'no colours (also: NO_COLOR=1)');
}

/** Reads `--json` / `--no-color` wherever they were given: on the command or on the program. */
export function contextOf(cmd: Command): Context {
  let json = false;
  let color: boolean | undefined;
  for (let c: Command | null = cmd; c; c = c.parent) {
    const o = c.opts<{ json?: boolean; color?: boolean }>();
    if (o.json === true) json = true;
    if (o.color === false) color = false;
  }
  return { json, print: createPrinter({ color: useColor(color) }) };
}

/** The `--namespace` option: on every client command (withUrl), and on the program (`openclaw --namespace x runs`). */
export const namespaceOption = (): Option =>
  new Option('--namespace <ns>', 'the namespace to act in (sent as X-OpenClaw-Namespace)')
    .env('OPENCLAW_NAMESPACE')
    .default(DEFAULT_NAMESPACE);

/** The `--url` option (env OPENCLAW_URL). */
export const urlOption = (): Option => new Option('--url <url>', 'API base URL').env('OPENCLAW_URL').default(DEFAULT_URL);

/** Adds `--url` (env OPENCLAW_URL) and `--namespace` (env OPENCLAW_NAMESPACE) to a client command. */
export function withUrl(cmd: Command): Command {
  return cmd.addOption(urlOption()).addOption(namespaceOption());
}

/**
 * The namespace of a client command: `--namespace` given on the command, else given before it
 * (on the program), else OPENCLAW_NAMESPACE, else `default`.
 */
export function namespaceOf(cmd: Command): string {
  for (let c: Command | null = cmd; c; c = c.parent) {
    if (c.getOptionValueSource('namespace') === 'cli') return c.opts<{ namespace: string }>().namespace;
  }
  return cmd.opts<{ namespace?: string }>().namespace ?? DEFAULT_NAMESPACE;
}

/** The API client for a command that has `--url`; its bearer key is OPENCLAW_API_KEY or the local dev server's (credentials.ts). */
export function clientOf(cmd: Command): ApiClient {
  const { url } = cmd.opts<{ url: string }>();
  return new ApiClient(url, { apiKey: apiKeyFor(url), namespace: namespaceOf(cmd) });
}

/** `--limit` and `--cursor`: how every list command pages (the API's `limit` + `nextCursor`). */
export function withPaging(cmd: Command): Command {
  return cmd
    .option('--limit <n>', 'page size (1-500, default 50)', intArg(1, 500))
    .option('--cursor <cursor>', 'the next page: the cursor printed by the previous page');
}

/** After a page of a list: how to get the next one (`command` is what the user typed, e.g. `openclaw runs`). */
export function printNextPage(print: Printer, command: string, nextCursor: string | null | undefined): void {
  if (nextCursor) print.out(print.color.dim(`next page: ${command} --cursor ${nextCursor}`));
}
