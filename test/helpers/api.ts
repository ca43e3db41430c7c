/** API test fixture: an engine (see useEngine) plus `buildApp()` on it, driven with `inject`. */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp, insecureLocal, type BuildAppOptions } from '../../api/index.js';
import type { CreateEngineOptions } from '../../engine/index.js';
import { useEngine, type EngineFixture } from './engine.js';

export interface ApiFixture extends EngineFixture {
  app: FastifyInstance;
  /** inject + JSON-parsed body (typed loosely: tests assert on its shape). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(opts: InjectOptions): Promise<{ status: number; body: any; headers: Record<string, unknown>; text: string }>;
}

export function useApi(
  label: string,
  options: { slots?: number; scheduler?: boolean; config?: CreateEngineOptions; app?: Partial<BuildAppOptions> } = {},
): ApiFixture {
  const t = useEngine(label, options) as ApiFixture;
  beforeAll(async () => {
    // The route tests act as the local admin; test/api/access.test.ts covers keys, roles and namespaces.
    t.app = await buildApp({ engine: t.engine, logger: false, followPollMs: 50, authenticate: insecureLocal, ...options.app });
    t.call = async (opts) => {
      const res = await t.app.inject(opts);
      let body: unknown = null;
      try {
        body = res.body ? JSON.parse(res.body) : null;
      } catch {
        body = null;
      }
      return { status: res.statusCode, body, headers: res.headers, text: res.body };
    };
  });
  afterAll(async () => {
    await t.app?.close();
  });
  return t;
}

export const yamlHeaders = { 'content-type': 'application/yaml' };
