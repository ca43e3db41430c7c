/**
 * Skills: WebAssembly components for `wasm` tasks. Register one (JSON: the manifest and the
 * component as base64) and list what is registered (never the bytes).
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EngineError, type Engine } from '../../engine/index.js';
import { errorHandler } from '../errors.js';
import { scopeOf } from '../namespace.js';
import { errors, PageQuery } from '../schemas.js';

const SkillSummary = Type.Object({
  name: Type.String(),
  version: Type.String({ description: 'MAJOR.MINOR.PATCH' }),
  sha256: Type.String({ description: 'Hex sha256 of the component.' }),
  sizeBytes: Type.Integer(),
  description: Type.Union([Type.String(), Type.Null()]),
  inputSchema: Type.Unknown({ description: 'JSON Schema of the step’s `with:` (null: anything).' }),
  outputSchema: Type.Unknown({ description: 'JSON Schema of the output (null: any JSON).' }),
  createdAt: Type.String({ format: 'date-time' }),
});

const SkillRegistered = Type.Object({
  name: Type.String(),
  version: Type.String(),
  sha256: Type.String(),
  sizeBytes: Type.Integer(),
  created: Type.Boolean({ description: 'false when this exact component was already registered as this version.' }),
  createdAt: Type.String({ format: 'date-time' }),
});

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The skill route's body limit: the component (base64 is 4/3 of it) plus 1 MiB for the manifest. */
export function skillBodyLimit(maxSkillBytes: number): number {
  return Math.ceil((maxSkillBytes * 4) / 3) + 1024 * 1024;
}

export const skillRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  const bodyLimit = skillBodyLimit(engine.config.maxSkillBytes);
  app.post(
    '/v1/skills',
    {
      bodyLimit,
      schema: {
        tags: ['skills'],
        summary: 'Register a skill version (201), or the same one again (200); other bytes for a registered version are a 409',
        description:
          'The component must be a WebAssembly component of the world in wasm-skills/wit/skill.wit that imports nothing but ' +
          '`openclaw:skill/host@1.0.0`. Build one with `openclaw skills build` (docs/skills.md). Largest component: ' +
          'OPENCLAW_MAX_SKILL_BYTES (default 32 MiB).',
        body: Type.Object(
          {
            manifest: Type.Object(
              {
                name: Type.String({ description: '^[a-z][a-z0-9-]{0,62}$' }),
                version: Type.String({ description: 'MAJOR.MINOR.PATCH' }),
                description: Type.Optional(Type.String()),
                inputSchema: Type.Optional(Type.Unknown()),
                outputSchema: Type.Optional(Type.Unknown()),
              },
              { additionalProperties: true, description: 'The skill’s skill.json.' },
            ),
            component: Type.String({ minLength: 1, contentEncoding: 'base64', description: 'The component’s bytes, base64.' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: SkillRegistered, 201: SkillRegistered, ...errors(400, 409, 413, 415) },
      },
      // The body limit of this route is its own (OPENCLAW_MAX_SKILL_BYTES), not OPENCLAW_MAX_BODY_BYTES.
      errorHandler: errorHandler({
        bytes: bodyLimit,
        message:
          `request body is larger than ${bodyLimit} bytes (a component of at most ${engine.config.maxSkillBytes} bytes as base64); ` +
          'raise OPENCLAW_MAX_SKILL_BYTES to allow more',
      }),
    },
    async (request, reply) => {
      const text = request.body.component.replace(/\s+/g, '');
      if (!BASE64.test(text) || text.length % 4 !== 0) {
        throw new EngineError('invalid_request', 'component must be the component’s bytes in base64', { details: { field: 'component' } });
      }
      const r = await scopeOf(engine, request).registerSkill({ manifest: request.body.manifest, component: Buffer.from(text, 'base64') });
      return reply.status(r.created ? 201 : 200).send({ ...r, createdAt: r.createdAt.toISOString() });
    },
  );

  app.get(
    '/v1/skills',
    {
      schema: {
        tags: ['skills'],
        summary: 'Registered skill versions, by name, newest version first (without their bytes)',
        querystring: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'Only this skill.' })),
          ...PageQuery,
        }),
        response: {
          200: Type.Object({ items: Type.Array(SkillSummary), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const { name, limit, cursor } = request.query;
      const page = await scopeOf(engine, request).listSkills({ ...(name === undefined ? {} : { name }), limit, cursor });
      return { items: page.items.map((s) => ({ ...s, createdAt: s.createdAt.toISOString() })), nextCursor: page.nextCursor };
    },
  );
};
