/**
 * Artifacts (docs/artifacts.md): a run's files, and the download of one. The download streams the
 * store's bytes to the response (nothing is buffered), with its media type, length, the SHA-256 as
 * ETag and the name as the attachment's file name; `Range` (one range) and HEAD are supported.
 * Artifacts are the namespace's like their runs: another namespace's artifact is not found.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Engine } from '../../engine/index.js';
import { errorBody } from '../errors.js';
import { scopeOf } from '../namespace.js';
import { errors, ref, RunIdParams } from '../schemas.js';

/** One satisfiable range of a `Range: bytes=...` header, `'unsatisfiable'`, or null to send everything. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  // Several ranges, other units and malformed values are ignored (RFC 9110 lets a server send all).
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  return start >= size ? 'unsatisfiable' : { start, end };
}

export const artifactRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  app.get(
    '/v1/runs/:id/artifacts',
    {
      schema: {
        tags: ['runs'],
        summary: 'The files the run’s steps wrote (artifacts), in the order they were attached',
        params: RunIdParams,
        response: {
          200: Type.Object({ items: Type.Array(ref('Artifact')) }),
          ...errors(400, 404),
        },
      },
    },
    async (request) => ({ items: await scopeOf(engine, request).queries.listArtifacts(request.params.id) }),
  );

  const params = Type.Object({ id: Type.String({ format: 'uuid', description: 'Artifact id' }) });
  const headers = Type.Object({
    range: Type.Optional(Type.String({ description: 'One byte range, e.g. `bytes=0-1023` or `bytes=-500`.' })),
    'if-none-match': Type.Optional(Type.String()),
    'if-range': Type.Optional(Type.String()),
  });
  // Returns the reply (fastify then waits for it); its body is a stream, which the schema's types do not describe.
  const download = (request: FastifyRequest, reply: unknown): Promise<never> =>
    serveArtifact(engine, request, reply as FastifyReply) as Promise<never>;
  app.get(
    '/v1/artifacts/:id',
    {
      // Its HEAD is below: fastify's own would read the whole object to discard it.
      exposeHeadRoute: false,
      schema: {
        tags: ['runs'],
        summary: 'Download an artifact (streamed; `Range` and HEAD supported)',
        description:
          'The bytes with the artifact’s `Content-Type`, `Content-Length`, its SHA-256 as `ETag` and its name in ' +
          '`Content-Disposition: attachment`. One `Range: bytes=a-b` gives 206 with `Content-Range` (416 past the end); ' +
          '`If-None-Match` with the ETag gives 304. An artifact of another namespace is not found.',
        params,
        headers,
        response: {
          200: {
            description: 'The artifact’s bytes, with its own media type',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          206: {
            description: 'The requested range of the bytes',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          304: { description: 'Not modified (the ETag matched)', type: 'null' },
          ...errors(400, 404, 416, 503),
        },
      },
    },
    download,
  );
  // HEAD: the same headers, the store not even asked (documented with the GET).
  app.head('/v1/artifacts/:id', { schema: { hide: true, params, headers } }, download);
};

/** GET and HEAD of one artifact: the body, when there is one, is the store's stream. */
async function serveArtifact(engine: Engine, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { id } = request.params as { id: string };
  const artifact = await scopeOf(engine, request).getArtifact(id);
  const etag = `"${artifact.sha256}"`;
  const notModified = request.headers['if-none-match']?.split(',').some((t) => t.trim() === etag || t.trim() === '*') === true;
  const ifRange = request.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, artifact.size) : null;
  // The bytes first: a store that cannot deliver them answers its error without this artifact's headers.
  const body = request.method === 'HEAD' || notModified || range === 'unsatisfiable' ? null : await artifact.open(range ? { range } : {});
  void reply.headers({
    etag,
    'accept-ranges': 'bytes',
    'content-disposition': `attachment; filename="${artifact.name}"`,
    // The bytes are whatever a step wrote: never rendered or sniffed in the API's (and the UI's) origin.
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
  });
  if (notModified) return reply.status(304).send();
  if (range === 'unsatisfiable') {
    return reply
      .status(416)
      .header('content-range', `bytes */${artifact.size}`)
      .type('application/json')
      .send(
        errorBody('range_not_satisfiable', `Range ${request.headers.range ?? ''} is outside the artifact's ${artifact.size} bytes`, {
          size: artifact.size,
        }),
      );
  }
  void reply.type(artifact.mediaType);
  if (range) void reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${artifact.size}`);
  void reply.header('content-length', String(range ? range.end - range.start + 1 : artifact.size));
  return reply.send(body);
}
