/**
 * The pure parts of container tasks (no Docker needed): sizes, the plan (shape checks, defaults,
 * engine caps, network policy), the output rule, and the container settings of the configuration.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config.js';
import { containerScope } from '../../engine/default-executors.js';
import { OutputCollector, utf8Tail } from '../../engine/executors/container/output.js';
import { planContainer, type ContainerPolicy } from '../../engine/executors/container/plan.js';
import { BYTE_SIZE_PATTERN, parseByteSize } from '../../engine/spec/size.js';
import schema from '../../schema/workflow.json' with { type: 'json' };

const policy: ContainerPolicy = {
  maxMemoryBytes: 1024 ** 3,
  defaultMemoryBytes: 256 * 1024 ** 2,
  maxCpus: 2,
  defaultCpus: 1,
  maxPids: 512,
  defaultPids: 128,
  allowNetwork: false,
  allowHostNetwork: false,
  maxOutputsBytes: 1024 ** 3,
};

const error = (fn: () => unknown): { name: string; message: string; retryable: boolean } => {
  try {
    fn();
  } catch (err) {
    return err as { name: string; message: string; retryable: boolean };
  }
  throw new Error('expected an error');
};

describe('parseByteSize', () => {
  it('reads bytes, Ki/Mi/Gi as powers of 1024 and K/M/G (either case) as powers of 1000', () => {
    expect(parseByteSize(1234)).toBe(1234);
    expect(parseByteSize('1234')).toBe(1234);
    expect(parseByteSize('256Mi')).toBe(256 * 1024 ** 2);
    expect(parseByteSize('1Gi')).toBe(1024 ** 3);
    expect(parseByteSize('4Ki')).toBe(4096);
    expect(parseByteSize('512M')).toBe(512_000_000);
    expect(parseByteSize('512m')).toBe(512_000_000);
    expect(parseByteSize('2G')).toBe(2e9);
    expect(parseByteSize('3k')).toBe(3000);
  });

  it('rejects anything else, and keeps to the schema’s pattern', () => {
    for (const bad of ['', 'Mi', '1.5Gi', '-1', '1Ti', '1 Mi', '1MB', 'lots', 1.5, -1, Number.MAX_SAFE_INTEGER * 2]) {
      expect(() => parseByteSize(bad as string | number), String(bad)).toThrow(RangeError);
    }
    expect((schema as { definitions: { byteSize: { pattern: string } } }).definitions.byteSize.pattern).toBe(BYTE_SIZE_PATTERN);
  });
});

describe('planContainer', () => {
  it('gives defaults for resources and network; command replaces the entrypoint, args the CMD (as in Kubernetes)', () => {
    expect(planContainer({ image: 'local/busybox' }, policy)).toEqual({
      image: 'local/busybox',
      entrypoint: undefined,
      cmd: undefined,
      env: {},
      workdir: undefined,
      memoryBytes: 256 * 1024 ** 2,
      nanoCpus: 1e9,
      pids: 128,
      network: 'none',
      outputsBytes: 1024 ** 3,
    });
    const p = planContainer(
      {
        image: 'x',
        command: ['node'],
        env: { A: 'a', N: 1, B: true },
        workdir: '/work',
        resources: { memory: '64Mi', cpus: 0.5, pids: 10, outputs: '5Mi' },
      },
      policy,
    );
    expect(p).toMatchObject({
      entrypoint: ['node'],
      cmd: [],
      env: { A: 'a', N: '1', B: 'true' },
      workdir: '/work',
      memoryBytes: 64 * 1024 ** 2,
      outputsBytes: 5 * 1024 ** 2,
    });
    expect([p.nanoCpus, p.pids]).toEqual([5e8, 10]);
    expect(planContainer({ image: 'x', args: ['--flag'] }, policy)).toMatchObject({ entrypoint: undefined, cmd: ['--flag'] });
    expect(planContainer({ image: 'x', command: 'echo hi | wc -c', args: 'one arg' }, policy)).toMatchObject({
      entrypoint: ['/bin/sh', '-c', 'echo hi | wc -c'],
      cmd: ['one arg'],
    });
  });

  it('refuses limits above the engine caps instead of clamping them (ResourceLimitExceeded, not retryable)', () => {
    const mem = error(() => planContainer({ image: 'x', resources: { memory: '2Gi' } }, policy));
    expect(mem).toMatchObject({ name: 'ResourceLimitExceeded', retryable: false });
    expect(mem.message).toContain('OPENCLAW_CONTAINER_MAX_MEMORY_BYTES');
    expect(error(() => planContainer({ image: 'x', resources: { cpus: 3 } }, policy)).message).toContain('containerMaxCpus=2');
    expect(error(() => planContainer({ image: 'x', resources: { pids: 513 } }, policy)).message).toContain('containerMaxPids=512');
    const outputs = error(() => planContainer({ image: 'x', resources: { outputs: '2Gi' } }, policy));
    expect(outputs).toMatchObject({ name: 'ResourceLimitExceeded', retryable: false });
    expect(outputs.message).toContain('OPENCLAW_CONTAINER_MAX_OUTPUTS_BYTES');
  });

  it('refuses network: bridge unless the policy allows it', () => {
    expect(error(() => planContainer({ image: 'x', network: 'bridge' }, policy))).toMatchObject({
      name: 'NetworkNotAllowed',
      retryable: false,
    });
    expect(planContainer({ image: 'x', network: 'bridge' }, { ...policy, allowNetwork: true }).network).toBe('bridge');
  });

  it('refuses network: host unless the policy allows host networking (allowing bridge is not enough)', () => {
    const refused = error(() => planContainer({ image: 'x', network: 'host' }, { ...policy, allowNetwork: true }));
    expect(refused).toMatchObject({ name: 'NetworkNotAllowed', retryable: false });
    expect(refused.message).toContain('OPENCLAW_CONTAINER_ALLOW_HOST_NETWORK');
    expect(planContainer({ image: 'x', network: 'host' }, { ...policy, allowHostNetwork: true }).network).toBe('host');
  });

  it('checks the evaluated fields again (expressions may yield anything): InvalidContainerSpec', () => {
    for (const spec of [
      null,
      { image: '' },
      { image: 7 },
      { image: 'x', command: [1, {}] },
      { image: 'x', command: {} },
      { image: 'x', env: { 'BAD NAME': 'x' } },
      { image: 'x', env: { A: { nested: true } } },
      { image: 'x', workdir: 'relative' },
      { image: 'x', resources: { memory: '1Ti' } },
      { image: 'x', resources: { memory: '1Mi' } },
      { image: 'x', resources: { cpus: 0 } },
      { image: 'x', resources: { pids: 1.5 } },
      { image: 'x', resources: { outputs: 'lots' } },
      { image: 'x', network: 'overlay' },
    ]) {
      expect(
        error(() => planContainer(spec, policy)),
        JSON.stringify(spec),
      ).toMatchObject({ name: 'InvalidContainerSpec', retryable: false });
    }
  });
});

describe('container output rule', () => {
  const collect = (stdout: string[], opts = { maxStdoutBytes: 1000, maxOutputBytes: 1000 }) => {
    const lines: Array<[string, string]> = [];
    const c = new OutputCollector({ write: (m, s = 'log') => void lines.push([s, m]) }, opts);
    for (const chunk of stdout) c.stdout.write(Buffer.from(chunk));
    return { c, lines };
  };

  it('the last non-empty stdout line if it is JSON (any JSON value), across chunk boundaries', () => {
    expect(collect(['pro', 'gress\n{"a":', '1}\n\n']).c.result(0)).toEqual({ a: 1 });
    expect(collect(['42']).c.result(0)).toBe(42);
    expect(collect(['done\n']).c.result(0)).toEqual({ exitCode: 0, stdout: 'done\n' });
  });

  it('splits lines for the step log, CRLF included, and multi-byte characters split across chunks', () => {
    const euro = Buffer.from('€');
    const { c, lines } = collect([]);
    c.stdout.write(Buffer.from('a\r\nb'));
    c.stdout.write(euro.subarray(0, 1));
    c.stdout.write(Buffer.concat([euro.subarray(1), Buffer.from('\nlast')]));
    expect(c.result(0)).toEqual({ exitCode: 0, stdout: 'a\r\nb€\nlast' });
    expect(lines).toEqual([
      ['stdout', 'a'],
      ['stdout', 'b€'],
      ['stdout', 'last'],
    ]);
  });

  it('cuts the stdout it keeps to its end, on a character boundary', () => {
    expect(utf8Tail('aé€', 4)).toEqual({ text: '€', cut: true });
    expect(utf8Tail('abc', 3)).toEqual({ text: 'abc', cut: false });
    const { c } = collect(['x'.repeat(5000) + '\nend\n'], { maxStdoutBytes: 10, maxOutputBytes: 1000 });
    expect(c.result(0)).toEqual({ exitCode: 0, stdout: 'xxxxx\nend\n', stdoutTruncated: true });
  });
});

describe('container configuration', () => {
  const base = { databaseUrl: 'postgres://x/y' };
  it('has safe defaults and reads its environment variables', () => {
    const c = loadConfig(base, {});
    expect(c).toMatchObject({ containerAllowNetwork: false, containerUser: '65534:65534', containerPull: 'missing' });
    const e = loadConfig(base, {
      OPENCLAW_CONTAINER_ALLOW_NETWORK: 'true',
      OPENCLAW_CONTAINER_PULL: 'never',
      OPENCLAW_CONTAINER_MAX_CPUS: '0.5',
      OPENCLAW_CONTAINER_DEFAULT_CPUS: '0.25',
    });
    expect(e).toMatchObject({ containerAllowNetwork: true, containerPull: 'never', containerMaxCpus: 0.5, containerDefaultCpus: 0.25 });
  });

  it('refuses a root user, unknown pull modes, defaults above their caps and non-boolean flags', () => {
    expect(() => loadConfig({ ...base, containerUser: '0:0' }, {})).toThrow(/containerUser/);
    expect(() => loadConfig({ ...base, containerUser: 'root' }, {})).toThrow(/containerUser/);
    expect(() => loadConfig(base, { OPENCLAW_CONTAINER_PULL: 'always' })).toThrow(/containerPull/);
    expect(() => loadConfig(base, { OPENCLAW_CONTAINER_DEFAULT_PIDS: '5000' })).toThrow(/containerDefaultPids/);
    expect(() => loadConfig(base, { OPENCLAW_CONTAINER_ALLOW_NETWORK: 'maybe' })).toThrow(/containerAllowNetwork/);
  });

  it('scopes containers by database and namespace, not by credentials', () => {
    const a = containerScope({ databaseUrl: 'postgres://worker:pw@db:5432/openclaw', namespace: 'default' });
    expect(containerScope({ databaseUrl: 'postgres://server:other@db/openclaw', namespace: 'default' })).toBe(a);
    expect(containerScope({ databaseUrl: 'postgres://worker:pw@db:5432/other', namespace: 'default' })).not.toBe(a);
    expect(containerScope({ databaseUrl: 'postgres://worker:pw@db:5432/openclaw', namespace: 'team-b' })).not.toBe(a);
  });
});
