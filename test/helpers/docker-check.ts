/**
 * Decides, once per test run (in the global setup), whether the tests that need Docker run:
 *
 *   - a Docker daemon answers (DOCKER_HOST, else /var/run/docker.sock): they run, and the local
 *     test images are built first if missing (scripts/docker-images.sh; nothing to do when present);
 *   - no daemon answers, or the images cannot be built: they are skipped, and one line says why
 *     and how to enable them;
 *   - OPENCLAW_REQUIRE_DOCKER=1 (CI sets it): not skipped; the run fails instead;
 *   - OPENCLAW_SKIP_DOCKER_TESTS=1: skipped without asking Docker.
 *
 * The test files read the outcome with `inject('docker')` (see describeDocker in docker.ts).
 * No vitest imports: this runs in vitest's main process.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { describeDockerHost, dockerMessage } from '../../engine/executors/container/docker.js';

export type DockerStatus = { available: true } | { available: false; reason: string };

export const TEST_IMAGES = ['local/busybox', 'local/node', 'local/psql'];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const IMAGES_SCRIPT = path.join(ROOT, 'scripts/docker-images.sh');
const PING_TIMEOUT_MS = 5000;

const HOW = 'start dockerd (or set DOCKER_HOST), or run `sudo scripts/docker-setup.sh` (Debian: installs and starts Docker)';

async function ping(docker: Docker): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function missingImages(docker: Docker): Promise<string[]> {
  const missing: string[] = [];
  for (const image of TEST_IMAGES) {
    try {
      await docker.getImage(image).inspect();
    } catch {
      missing.push(image);
    }
  }
  return missing;
}

/** Runs scripts/docker-images.sh; rejects with the last lines of its output when it fails. */
function buildImages(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [IMAGES_SCRIPT], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else {
        const last = output.trim().split('\n').slice(-3).join(' / ');
        reject(new Error(`scripts/docker-images.sh exited ${code}: ${last}`));
      }
    });
  });
}

/**
 * Checks Docker and builds missing test images. Returns the status for the test files; prints one
 * line when the Docker tests are skipped; throws when they would be skipped but
 * OPENCLAW_REQUIRE_DOCKER=1 forbids it.
 */
export async function prepareDocker(env: NodeJS.ProcessEnv = process.env): Promise<DockerStatus> {
  const required = env.OPENCLAW_REQUIRE_DOCKER === '1';
  const skip = (reason: string): DockerStatus => {
    if (required) throw new Error(`OPENCLAW_REQUIRE_DOCKER=1, but the Docker tests cannot run: ${reason}`);
    console.warn(`container tests skipped: ${reason} (OPENCLAW_REQUIRE_DOCKER=1 makes this an error)`);
    return { available: false, reason };
  };
  if (env.OPENCLAW_SKIP_DOCKER_TESTS === '1') return skip('OPENCLAW_SKIP_DOCKER_TESTS=1 is set');

  const docker = new Docker();
  try {
    await ping(docker);
  } catch (err) {
    return skip(`no Docker daemon at ${describeDockerHost()} (${dockerMessage(err)}); ${HOW}`);
  }
  const missing = await missingImages(docker);
  if (missing.length === 0) return { available: true };
  console.log(`building the local test images ${missing.join(', ')} (scripts/docker-images.sh)`);
  try {
    await buildImages();
  } catch (err) {
    return skip(`the test images could not be built: ${(err as Error).message}`);
  }
  const still = await missingImages(docker);
  if (still.length > 0) return skip(`scripts/docker-images.sh did not produce ${still.join(', ')}`);
  return { available: true };
}
