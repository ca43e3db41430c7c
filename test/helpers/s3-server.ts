/**
 * A real S3-compatible server for the tests: s3rver (npm), in this process, on a free loopback
 * port, its data in a temporary directory, with one bucket. The engine's S3 store talks to it over
 * HTTP like to any S3; nothing is mocked. `requests` records what it was asked (`POST ?uploads`,
 * `PUT ?partNumber&uploadId`, `DELETE ?uploadId`, ...), so a test can tell a multipart upload
 * from a single PutObject.
 *
 * Credentials come from the usual AWS variables, as in production: this sets them (in this test
 * process; `env` passes them to child processes), so the SDK's default chain never looks further
 * (no instance metadata lookups).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { EngineSettings } from '../../engine/settings.js';

export interface S3Server {
  endpoint: string;
  bucket: string;
  /** `METHOD ?query-names` of every request, in order. */
  requests: string[];
  /** The engine settings that use this server (OPENCLAW_ARTIFACT_STORE=s3 and the rest). */
  config: Pick<
    EngineSettings,
    'artifactStore' | 'artifactS3Bucket' | 'artifactS3Endpoint' | 'artifactS3ForcePathStyle' | 'artifactS3Prefix' | 'artifactS3Region'
  >;
  /** The same as environment variables, with the AWS credentials (for child processes). */
  env: Record<string, string>;
  close(): Promise<void>;
}

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

export async function startS3Server(options: { bucket?: string; prefix?: string } = {}): Promise<S3Server> {
  const bucket = options.bucket ?? 'openclaw-test';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'openclaw-s3rver-'));
  Object.assign(process.env, CREDENTIALS);
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const requests: string[] = [];
  // First in the chain (koa composes at listen time): sees every request.
  (server as unknown as { middleware: unknown[] }).middleware.unshift(
    async (ctx: { method: string; query: object }, next: () => Promise<void>) => {
      requests.push(`${ctx.method} ?${Object.keys(ctx.query).sort().join('&')}`);
      await next();
    },
  );
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const prefix = options.prefix ?? '';
  return {
    endpoint,
    bucket,
    requests,
    config: {
      artifactStore: 's3',
      artifactS3Bucket: bucket,
      artifactS3Endpoint: endpoint,
      artifactS3ForcePathStyle: true,
      artifactS3Prefix: prefix,
      artifactS3Region: 'us-east-1',
    },
    env: {
      ...CREDENTIALS,
      OPENCLAW_ARTIFACT_STORE: 's3',
      OPENCLAW_ARTIFACT_S3_BUCKET: bucket,
      OPENCLAW_ARTIFACT_S3_ENDPOINT: endpoint,
      OPENCLAW_ARTIFACT_S3_FORCE_PATH_STYLE: 'true',
      OPENCLAW_ARTIFACT_S3_PREFIX: prefix,
      OPENCLAW_ARTIFACT_S3_REGION: 'us-east-1',
    },
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
