/** POST /v1/skills and GET /v1/skills: JSON bodies with the component as base64. */
import { describe, expect, it } from 'vitest';
import { useApi } from '../helpers/api.js';
import { buildFixture, constantComponent, coreModule, sha256 } from '../wasm/components.js';

const t = useApi('skillapi', { config: { maxSkillBytes: 64 * 1024 } });

const post = (body: unknown) => t.call({ method: 'POST', url: '/v1/skills', payload: body as Record<string, unknown> });
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('POST /v1/skills', () => {
  it('201 for a new version, 200 for the same bytes again, 409 for other bytes', async () => {
    const component = await constantComponent('{"ok":true}');
    const manifest = {
      name: 'api-skill',
      version: '1.0.0',
      description: 'says ok',
      inputSchema: { type: 'object' },
      outputSchema: { type: 'object', required: ['ok'] },
    };
    const created = await post({ manifest, component: b64(component) });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      name: 'api-skill',
      version: '1.0.0',
      sha256: sha256(component),
      sizeBytes: component.length,
      created: true,
      createdAt: expect.any(String) as unknown,
    });
    const same = await post({ manifest, component: b64(component) });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ created: false, sha256: sha256(component), createdAt: created.body.createdAt });

    const conflict = await post({ manifest, component: b64(await constantComponent('{"ok":false}')) });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toMatchObject({ code: 'conflict', details: { name: 'api-skill', version: '1.0.0' } });
  });

  it('400 for a bad manifest, bad base64, a core module or a forbidden import', async () => {
    const component = b64(await constantComponent('1'));
    const badManifest = await post({ manifest: { name: 'x', version: 'one' }, component });
    expect(badManifest.status).toBe(400);
    expect(badManifest.body.error).toMatchObject({ code: 'invalid_request', details: [{ path: '/manifest/version' }] });

    const missing = await post({ manifest: { name: 'x' }, component });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('invalid_request');

    const notBase64 = await post({ manifest: { name: 'x', version: '1.0.0' }, component: 'not base64!' });
    expect(notBase64.status).toBe(400);
    expect(notBase64.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'component' } });

    const core = await post({ manifest: { name: 'x', version: '1.0.0' }, component: b64(await coreModule()) });
    expect(core.status).toBe(400);
    expect(core.body.error.message).toContain('not a component');

    const evil = await post({ manifest: { name: 'x', version: '1.0.0' }, component: b64(await buildFixture('forbiddenImport')) });
    expect(evil.status).toBe(400);
    expect(evil.body.error.message).toContain('"evil:net/socket@0.1.0"');
    expect(evil.body.error.details).toMatchObject({ forbiddenImports: ['evil:net/socket@0.1.0'] });
  });

  it('413 over OPENCLAW_MAX_SKILL_BYTES, naming it', async () => {
    // Over the route's body limit (the component limit as base64, plus 1 MiB).
    const big = await post({ manifest: { name: 'big', version: '1.0.0' }, component: 'A'.repeat(1200 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({
      code: 'payload_too_large',
      message: expect.stringContaining('raise OPENCLAW_MAX_SKILL_BYTES') as unknown,
      details: { limit: Math.ceil((64 * 1024 * 4) / 3) + 1024 * 1024 },
    });
    // Under the body limit but over the component limit: the engine says so too.
    const over = await post({ manifest: { name: 'big', version: '1.0.0' }, component: b64(new Uint8Array(70 * 1024)) });
    expect(over.status).toBe(413);
    expect(over.body.error.message).toContain('OPENCLAW_MAX_SKILL_BYTES');
  });
});

describe('GET /v1/skills', () => {
  it('lists versions (no bytes), newest first, filtered by name', async () => {
    for (const v of ['0.9.0', '1.1.0']) {
      expect((await post({ manifest: { name: 'listed', version: v }, component: b64(await constantComponent(`"${v}"`)) })).status).toBe(
        201,
      );
    }
    const all = await t.call({ url: '/v1/skills' });
    expect(all.status).toBe(200);
    expect(all.body.items.map((s: { name: string; version: string }) => `${s.name}@${s.version}`)).toEqual([
      'api-skill@1.0.0',
      'listed@1.1.0',
      'listed@0.9.0',
    ]);
    expect(all.body.items[0]).toEqual({
      name: 'api-skill',
      version: '1.0.0',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      sizeBytes: expect.any(Number) as unknown,
      description: 'says ok',
      inputSchema: { type: 'object' },
      outputSchema: { type: 'object', required: ['ok'] },
      createdAt: expect.any(String) as unknown,
    });
    const one = await t.call({ url: '/v1/skills?name=listed' });
    expect(one.body.items).toHaveLength(2);
  });
});
