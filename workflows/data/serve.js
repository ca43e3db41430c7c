#!/usr/bin/env node
// The sample data server of the etl-orders and mlops-train examples, on 127.0.0.1 (default port
// 9000):   node workflows/data/serve.js [port]
//
//   GET /orders.csv              the small sample file next to this script (5 orders)
//   GET /orders.csv?rows=100000  that many generated orders, streamed (deterministic: ?seed=N)
//   PUT /registry/<path>         stores the body as a file under the registry directory
//                                (REGISTRY_DIR, default <tmp>/openclaw-registry); answers
//                                {path, size, sha256}. GET /registry/<path> serves it back.
//
// HTTP tasks may not reach loopback by default; allow exactly this endpoint when starting OpenClaw:
//   OPENCLAW_HTTP_ALLOW=127.0.0.1:9000 npx openclaw dev
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const port = Number(process.argv[2] ?? process.env.PORT ?? 9000);
const registry = path.resolve(process.env.REGISTRY_DIR ?? path.join(os.tmpdir(), 'openclaw-registry'));
const types = { '.csv': 'text/csv; charset=utf-8', '.json': 'application/json' };
const MAX_ROWS = 10_000_000;

/** A small deterministic PRNG (mulberry32), so a seed always gives the same orders. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['ada', 'grace', 'linus', 'margaret', 'barbara', 'alan', 'edsger', 'frances', 'ken', 'radia'];
const DOMAINS = ['example.com', 'example.org', 'example.net', 'example.io'];
const NOTES = ['', '', '', 'gift wrap', 'leave at the door', 'call before delivery, ask for "Grace"', 'fragile'];

/** `rows` generated orders as CSV lines: about 1 in 200 has a negative amount (the validation step rejects it). */
function* orders(rows, seed) {
  const rnd = random(seed);
  yield 'order_id,customer_email,phone,card,amount,note\n';
  for (let i = 0; i < rows; i++) {
    const name = NAMES[Math.floor(rnd() * NAMES.length)];
    const email = `${name}.${Math.floor(rnd() * 10_000)}@${DOMAINS[Math.floor(rnd() * DOMAINS.length)]}`;
    const phone = `+1 415 555 ${String(Math.floor(rnd() * 10_000)).padStart(4, '0')}`;
    const card = rnd() < 0.3 ? '4111 1111 1111 1111' : '';
    const cents = Math.floor(rnd() * 100_000) + 1;
    const amount = (rnd() < 0.005 ? -cents : cents) / 100;
    const note = NOTES[Math.floor(rnd() * NOTES.length)];
    const quoted = note.includes(',') || note.includes('"') ? `"${note.replaceAll('"', '""')}"` : note;
    yield `${100_000 + i},${email},${phone},${card},${amount.toFixed(2)},${quoted}\n`;
  }
}

/** Lines grouped into chunks of about 64 KiB (one write per chunk, not per line). */
function* chunked(lines) {
  let buf = '';
  for (const line of lines) {
    buf += line;
    if (buf.length >= 65_536) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

async function registryPut(req, res, rel) {
  const file = path.join(registry, rel);
  await mkdir(path.dirname(file), { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  req.on('data', (chunk) => {
    hash.update(chunk);
    size += chunk.length;
  });
  const part = `${file}.${process.pid}.part`;
  await pipeline(req, createWriteStream(part));
  await rename(part, file);
  res
    .writeHead(201, { 'content-type': 'application/json' })
    .end(JSON.stringify({ path: `/registry/${rel}`, size, sha256: hash.digest('hex') }));
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  try {
    if (url.pathname.startsWith('/registry/')) {
      const rel = path.normalize(decodeURIComponent(url.pathname.slice('/registry/'.length)));
      if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return res.writeHead(400).end('bad registry path\n');
      if (req.method === 'PUT') return await registryPut(req, res, rel);
      if (req.method === 'GET') {
        const stream = createReadStream(path.join(registry, rel));
        stream.on('error', () => res.writeHead(404).end('not found\n'));
        stream.on('open', () => res.writeHead(200, { 'content-type': 'application/octet-stream' }));
        return stream.pipe(res);
      }
      return res.writeHead(405).end('method not allowed\n');
    }
    const name = path.basename(url.pathname);
    const ext = path.extname(name);
    if (!(ext in types)) return res.writeHead(404).end('not found\n');
    if (name === 'orders.csv' && url.searchParams.has('rows')) {
      const rows = Number(url.searchParams.get('rows'));
      const seed = Number(url.searchParams.get('seed') ?? 1);
      if (!Number.isInteger(rows) || rows < 0 || rows > MAX_ROWS) return res.writeHead(400).end(`rows must be 0..${MAX_ROWS}\n`);
      res.writeHead(200, { 'content-type': types[ext] });
      return await pipeline(Readable.from(chunked(orders(rows, seed))), res);
    }
    const body = await readFile(path.join(dir, name));
    res.writeHead(200, { 'content-type': types[ext] }).end(body);
  } catch {
    if (!res.headersSent) res.writeHead(404).end('not found\n');
    else res.destroy();
  }
});
server.listen(port, '127.0.0.1', () => console.log(`sample data at http://127.0.0.1:${server.address().port}/orders.csv`));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
