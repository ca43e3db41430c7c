#!/usr/bin/env node
// Serves the sample files next to this script on 127.0.0.1 (default port 9000), for the
// etl-orders example:   node workflows/data/serve.js [port]
// HTTP tasks may not reach loopback by default; allow exactly this endpoint when starting OpenClaw:
//   OPENCLAW_HTTP_ALLOW=127.0.0.1:9000 npx openclaw dev
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const port = Number(process.argv[2] ?? process.env.PORT ?? 9000);
const types = { '.csv': 'text/csv; charset=utf-8', '.json': 'application/json' };

const server = http.createServer(async (req, res) => {
  const name = path.basename(new URL(req.url ?? '/', 'http://x').pathname);
  const ext = path.extname(name);
  if (!(ext in types)) return res.writeHead(404).end('not found\n');
  try {
    const body = await readFile(path.join(dir, name));
    res.writeHead(200, { 'content-type': types[ext] }).end(body);
  } catch {
    res.writeHead(404).end('not found\n');
  }
});
server.listen(port, '127.0.0.1', () => console.log(`sample data at http://127.0.0.1:${server.address().port}/orders.csv`));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
