/**
 * The run page's artifacts, the parts without a browser: how an artifact is downloaded (in the tab up
 * to 100 MiB, else the complete CLI command), which were attached at a moment of time travel, and
 * sizes as people read them, the same as the CLI's.
 * The page itself: test/ui/artifact-pages.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { formatBytes as cliFormatBytes } from '../../cli/commands/artifacts.js';
import { formatBytes } from '../../ui/src/components/format.js';
import { BROWSER_DOWNLOAD_LIMIT, cliCommand, downloadPlan } from '../../ui/src/data/download-plan.js';
import { artifactsAt } from '../../ui/src/pages/run/history-replay.js';
import { historyEvent as ev } from '../helpers/history.js';

const id = '0b6f3c1e-3f5e-4d5a-9a77-1f0e8f9b2c44';
const here = { origin: 'http://127.0.0.1:8080', namespace: 'default' };

describe('downloading an artifact from the page', () => {
  it('downloads in the tab up to 100 MiB, and offers the CLI above', () => {
    expect(BROWSER_DOWNLOAD_LIMIT).toBe(100 * 1024 * 1024);
    expect(downloadPlan({ id, name: 'model.bin', size: 0 }, here)).toEqual({ kind: 'browser' });
    expect(downloadPlan({ id, name: 'model.bin', size: BROWSER_DOWNLOAD_LIMIT }, here)).toEqual({ kind: 'browser' });
    expect(downloadPlan({ id, name: 'model.bin', size: BROWSER_DOWNLOAD_LIMIT + 1 }, here)).toEqual({
      kind: 'cli',
      command: `openclaw artifact get ${id} -o model.bin --url http://127.0.0.1:8080`,
    });
  });

  it('the command names the namespace when the page acts in another one, and never a key', () => {
    const command = cliCommand({ id, name: 'orders.csv' }, { origin: 'https://openclaw.example.com', namespace: 'team-a' });
    expect(command).toBe(`openclaw artifact get ${id} -o orders.csv --url https://openclaw.example.com --namespace team-a`);
    expect(command).not.toMatch(/key|ocl_/i);
  });
});

describe('sizes', () => {
  it('reads like the CLI’s, in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(1536 * 1024 + 7)).toBe('1.50 MiB');
    expect(formatBytes(100 * 1024 * 1024 + 1)).toBe('100 MiB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3.00 TiB');
    for (const n of [0, 1, 999, 1024, 10_239, 10_240, 102_399, 1_048_575, 1_048_576, 5e8, 2 ** 31, 10 * 1024 ** 3, 2 ** 50]) {
      expect(formatBytes(n), String(n)).toBe(cliFormatBytes(n));
    }
  });
});

describe('time travel', () => {
  // extract's completion has the later clock but the earlier event: the history's order decides.
  const events = [
    ev('run.started', null, 0),
    ev('step.started', 'extract', 10, { attempt: 1 }),
    ev('step.started', 'notes', 10, { attempt: 1 }),
    ev('step.failed', 'train', 20, { attempt: 1 }),
    ev('step.succeeded', 'extract', 40, { attempt: 1 }),
    ev('step.succeeded', 'notes', 30, { attempt: 1 }),
    ev('step.succeeded', 'train', 50, { attempt: 2 }),
  ];
  const artifacts = [
    { name: 'orders.csv', stepKey: 'extract', attempt: 1 },
    { name: 'notes.txt', stepKey: 'notes', attempt: 1 },
    { name: 'model.bin', stepKey: 'train', attempt: 2 },
  ];
  const namesAt = (i: number) => artifactsAt(artifacts, events, i).map((a) => a.name);

  it('lists an artifact from its attempt’s step.succeeded on, in the order of the history', () => {
    expect(namesAt(3)).toEqual([]);
    expect(namesAt(4)).toEqual(['orders.csv']);
    expect(namesAt(5)).toEqual(['orders.csv', 'notes.txt']);
    expect(namesAt(6)).toEqual(['orders.csv', 'notes.txt', 'model.bin']);
    expect(namesAt(99)).toEqual(['orders.csv', 'notes.txt', 'model.bin']);
  });

  it('an earlier attempt’s success does not stand for a later one’s artifacts', () => {
    const retried = [...events.slice(0, 6), ev('step.succeeded', 'train', 45, { attempt: 1 })];
    expect(artifactsAt(artifacts, retried, 6).map((a) => a.name)).toEqual(['orders.csv', 'notes.txt']);
  });
});
