/**
 * The monitoring files in deploy/: the Prometheus alert rules parse (with `promtool check rules`
 * when promtool is there — scripts/promtool.sh fetches Debian's — and always as YAML of the shape
 * Prometheus reads), the Grafana dashboard is a dashboard with the panels it promises, and every
 * metric both use is in a real server's `GET /metrics`, with the labels they select and group by.
 * The compose file wires the workers' metrics ports without publishing them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildApp } from '../../api/index.js';
import { engineCore } from '../../engine/engine.js';
import type { Engine } from '../../engine/index.js';
import { ROOT } from '../helpers/cli.js';
import { createTestDb, testEngine, type TestDb } from '../helpers/engine.js';
import { exposedNames, findPromtool, parsePrometheusText } from '../helpers/prom-text.js';

const ALERTS = path.join(ROOT, 'deploy/prometheus/alerts.yaml');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/openclaw.json');

interface Rule {
  alert?: string;
  expr?: unknown;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (parse(readFileSync(ALERTS, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups.flatMap((g) => g.rules);

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
  title: string;
  uid: string;
  panels: Panel[];
  templating: { list: unknown[] };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = [...rules.map((r) => String(r.expr)), ...panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr))];

/** Labels every scrape adds, and the histogram bucket label. */
const IMPLICIT_LABELS = new Set(['le', 'instance', 'job']);
const METRIC = /\b((?:openclaw|process|nodejs)_[a-z0-9_]+)\b(\{[^}]*\})?/g;

let db: TestDb;
let engine: Engine;
let exposed: Set<string>;
let labelsOf: Map<string, Set<string>>;

beforeAll(async () => {
  db = await createTestDb('deploy');
  engine = await testEngine(db, { metricsPublic: true });
  const app = await buildApp({ engine, logger: false });
  const res = await app.inject({ url: '/metrics' });
  await app.close();
  expect(res.statusCode).toBe(200);
  exposed = exposedNames(parsePrometheusText(res.body));
  // The label names each family declares (its series may not exist yet, so the text cannot tell).
  labelsOf = new Map(
    engineCore(engine)
      .metrics.registry.getMetricsAsArray()
      .map((m) => [m.name, new Set((m as unknown as { labelNames: string[] }).labelNames)]),
  );
});
afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

describe('deploy/prometheus/alerts.yaml', () => {
  it('has the promised alerts, each in the shape Prometheus reads', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'OpenClawNoLiveWorker',
        'OpenClawQueueWaitHigh',
        'OpenClawDeadLettersRising',
        'OpenClawRunsStalled',
        'OpenClawCronLate',
      ]),
    );
    for (const r of rules) {
      expect(r.alert, JSON.stringify(r)).toMatch(/^OpenClaw[A-Za-z]+$/);
      expect(typeof r.expr, r.alert).toBe('string');
      if (r.for !== undefined) expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
    }
  });

  it('passes `promtool check rules` (when promtool is available)', (ctx) => {
    const promtool = findPromtool();
    if (!promtool) ctx.skip('promtool not found (scripts/promtool.sh fetches it); the YAML shape was checked above');
    const res = spawnSync(promtool!, ['check', 'rules', ALERTS], { encoding: 'utf8' });
    expect(`${res.stdout}${res.stderr}`).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(res.status).toBe(0);
  });
});

describe('deploy/grafana/openclaw.json', () => {
  it('is a dashboard with panels for throughput, failures, queue wait, workers, cron lateness and dead letters', () => {
    expect(dashboard).toMatchObject({ title: 'OpenClaw', uid: 'openclaw' });
    expect(dashboard.templating.list.length).toBeGreaterThan(0);
    const titles = panels.map((p) => p.title.toLowerCase()).join(' | ');
    for (const topic of ['throughput', 'failures', 'queue wait', 'workers', 'cron fire lateness', 'dead letters']) {
      expect(titles, topic).toContain(topic);
    }
    for (const p of panels.filter((x) => x.type !== 'row')) expect(p.targets?.length, p.title).toBeGreaterThan(0);
  });
});

describe('the metrics they use', () => {
  it('every metric is in GET /metrics, with the labels the queries select and group by', () => {
    expect(queries.length).toBeGreaterThan(20);
    for (const q of queries) {
      const used = [...q.matchAll(METRIC)];
      expect(used.length, q).toBeGreaterThan(0);
      const families = new Set<string>();
      for (const [, name, selector] of used) {
        expect(exposed, `${name} (in ${q})`).toContain(name);
        const family = name!.replace(/_(bucket|sum|count)$/, '');
        const own = labelsOf.get(family) ?? labelsOf.get(name!) ?? new Set<string>();
        families.add(family);
        for (const [, label] of (selector ?? '').matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g)) {
          expect(own.has(label!) || IMPLICIT_LABELS.has(label!), `${name} has no label ${label} (in ${q})`).toBe(true);
        }
      }
      for (const [, list] of q.matchAll(/\bby \(([^)]*)\)/g)) {
        for (const label of list!.split(',').map((l) => l.trim())) {
          const known = IMPLICIT_LABELS.has(label) || [...families].some((f) => labelsOf.get(f)?.has(label));
          expect(known, `no metric of ${q} has a label ${label}`).toBe(true);
        }
      }
    }
  });

  it('docker-compose.yml: every worker serves its metrics on the compose network, none publishes it', () => {
    const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { command?: string[]; expose?: string[]; ports?: unknown[] }>;
    };
    const workers = Object.entries(compose.services).filter(([, s]) => s.command?.[0] === 'worker');
    expect(workers.length).toBeGreaterThan(0);
    for (const [name, s] of workers) {
      const cmd = s.command!;
      const port = cmd[cmd.indexOf('--metrics-port') + 1];
      expect(cmd, name).toContain('--metrics-port');
      expect(cmd[cmd.indexOf('--metrics-host') + 1], name).toBe('0.0.0.0');
      expect(s.expose, name).toContain(port);
      expect(s.ports ?? [], name).toEqual([]);
    }
  });
});
