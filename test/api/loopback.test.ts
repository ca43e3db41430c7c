/**
 * A server bound to loopback serves loopback Host names only (DNS rebinding: a page on a name that
 * resolves to 127.0.0.1 sends its own Host), and loopback is decided by parsing addresses, not by
 * the prefix "127.".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { insecureLocal, isLoopback, startServer, type RunningServer } from '../../api/index.js';
import { useEngine } from '../helpers/engine.js';

const t = useEngine('loopback');
let server: RunningServer;

beforeAll(async () => {
  // No credentials needed for what this file tests: the Host check comes before authentication.
  server = await startServer({ engine: t.engine, port: 0, logger: false, authenticate: insecureLocal });
});
afterAll(async () => {
  await server?.close();
});

const get = async (host: string) => {
  const res = await request(`${server.url}/v1/workflows`, { headers: { host } });
  return { status: res.statusCode, body: (await res.body.json()) as { error?: { code: string; message: string } } };
};

describe('a loopback-bound server', () => {
  it('answers loopback Host names and addresses', async () => {
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, 'localhost', `[::1]:${server.port}`, 'api.localhost']) {
      expect((await get(host)).status, host).toBe(200);
    }
  });

  it('refuses any other Host with 403, naming it, before any route runs', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, '10.0.0.5', '127.0.0.1.evil.example', '[::ffff:10.0.0.1]']) {
      const res = await get(host);
      expect(res.status, host).toBe(403);
      expect(res.body.error?.code).toBe('forbidden');
      expect(res.body.error?.message).toContain('loopback');
    }
  });
});

describe('isLoopback', () => {
  it('parses addresses instead of matching a prefix', () => {
    for (const yes of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      'localhost',
      'LOCALHOST',
      'a.localhost',
    ]) {
      expect(isLoopback(yes), yes).toBe(true);
    }
    for (const no of [
      '127.evil.example',
      '127.0.0.1.nip.io',
      '1.27.0.0',
      '::2',
      '::ffff:10.0.0.1',
      '0.0.0.0',
      '::',
      'localhost.example',
      '',
    ]) {
      expect(isLoopback(no), no).toBe(false);
    }
  });
});
