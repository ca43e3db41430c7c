/**
 * The package's entry points (engine/README.md): `openclaw` (engine/index.ts) exports the
 * engine API only, `openclaw/testing` (engine/testing.ts) the helpers for tests, benchmarks and
 * `openclaw dev`, `openclaw/client` (client/index.ts) the typed REST client. A new runtime export
 * of the root is a decision: add it to the list below.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as root from '../../engine/index.js';
import * as testing from '../../engine/testing.js';
import * as client from '../../client/index.js';

const ROOT_VALUES = [
  'ConflictError',
  'DELIVERY_HEADER',
  'EngineError',
  'ErrorCodes',
  'NonRetryableError',
  'NotFoundError',
  'RUN_STATUSES',
  'RetryAfterError',
  'SIGNATURE_HEADER',
  'STEP_STATUSES',
  'TERMINAL_RUN_STATUSES',
  'WORKER_STATES',
  'SpecError',
  'TaskError',
  'checkSkillComponent',
  'compileSpec',
  'createEngine',
  'createLogger',
  'generateMasterKey',
  'installBackgroundSchema',
  'isDatabaseUnavailable',
  'migrate',
  'runWorkerProcess',
  'sign',
  'signGithub',
  'signatureHeader',
  'validateManifest',
  'verify',
  'verifyGithub',
  'workflowSchema',
  // Access (docs/security.md): keys, roles and namespaces, for the API layer and the CLI.
  'DEFAULT_NAMESPACE',
  'NAMESPACE_PATTERN',
  'ROLES',
  'generateApiKey',
  'grantAllows',
  'isRole',
  'looksLikeApiKey',
  'roleAllows',
];

describe('entry points', () => {
  it('the package root exports the engine API and nothing else', () => {
    expect(Object.keys(root).sort()).toEqual([...ROOT_VALUES].sort());
  });

  it('test helpers are on openclaw/testing only', () => {
    const helpers = ['startEmbeddedPostgres', 'importEmbeddedPostgres', 'withDatabase', 'freePort', 'openHandles', 'createWasmExecutor'];
    expect(Object.keys(testing).sort()).toEqual([...helpers].sort());
    for (const name of helpers) expect(root).not.toHaveProperty(name);
  });

  it('the typed REST client is on openclaw/client only', () => {
    const values = ['createClient', 'unwrap', 'errorOf', 'OpenClawError', 'NAMESPACE_HEADER'];
    expect(Object.keys(client).sort()).toEqual([...values].sort());
    for (const name of values) expect(root).not.toHaveProperty(name);
  });

  it('package.json maps openclaw, openclaw/api, openclaw/testing and openclaw/client to their built files', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, string> };
    expect(pkg.exports).toEqual({
      '.': './dist/engine/index.js',
      './api': './dist/api/index.js',
      './testing': './dist/engine/testing.js',
      './client': './dist/client/index.js',
    });
  });
});
