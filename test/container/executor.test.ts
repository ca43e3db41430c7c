/**
 * The container executor against a real Docker daemon (local images, no registry): input and
 * output, step logs, failures (exit codes, OOM, missing images, refused limits), abort (timeout,
 * cancel) killing and removing the container, and the isolation bar S12: no network, no host
 * environment, read-only root, non-root, no capabilities, no Docker socket, pids/memory limits.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskError } from '../../engine/errors.js';
import { MAX_ENV_INPUT_BYTES } from '../../engine/executors/container/index.js';
import { waitFor } from '../helpers/engine.js';
import { BUSYBOX, NODE, describeDocker, failure, invocation, managedContainers, requireDocker, testExecutor } from '../helpers/docker.js';

let docker: Docker;
const ex = testExecutor();

describeDocker('container executor', () => {
  beforeAll(async () => {
    docker = await requireDocker();
  });
  afterAll(async () => {
    await ex.stop();
  });

  /** Waits until the invocation's container is running and returns it. */
  async function runningContainer(runId: string): Promise<Docker.ContainerInfo> {
    return await waitFor(async () => (await managedContainers(docker, 'openclaw.run', runId)).find((c) => c.State === 'running'), 15_000);
  }

  describe('input, output, logs', () => {
    it('gives the input as JSON on stdin and in OPENCLAW_INPUT, with the step ids in the environment; the last JSON line is the output', async () => {
      const inv = invocation(
        {
          image: BUSYBOX,
          command: [
            'sh',
            '-c',
            'stdin=$(cat); echo "starting"; printf \'{"stdin":%s,"env":%s,"key":"%s","attempt":"%s","run":"%s","step":"%s","greeting":"%s"}\\n\' "$stdin" "$OPENCLAW_INPUT" "$OPENCLAW_IDEMPOTENCY_KEY" "$OPENCLAW_ATTEMPT" "$OPENCLAW_RUN_ID" "$OPENCLAW_STEP_KEY" "$GREETING"',
          ],
          env: { GREETING: 'hello', OPENCLAW_INPUT: 'spoofed' },
        },
        { file: 'a.csv', n: [1, 2] },
        { attempt: 3 },
      );
      const out = await ex.execute(inv);
      expect(out).toEqual({
        stdin: { file: 'a.csv', n: [1, 2] },
        env: { file: 'a.csv', n: [1, 2] },
        key: inv.idempotencyKey,
        attempt: '3',
        run: inv.runId,
        step: 'probe',
        greeting: 'hello',
      });
      expect(inv.lines[0]).toEqual({ stream: 'stdout', message: 'starting' });
    });

    it('gives the attempt’s span as TRACEPARENT when tracing is on, and nothing when it is off; a spec’s env may set its own', async () => {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const probe = (env: Record<string, string> = {}) => ({
        image: BUSYBOX,
        command: ['sh', '-c', 'printf \'{"tp":"%s","set":"%s"}\\n\' "$TRACEPARENT" "${TRACEPARENT+yes}"'],
        env,
      });
      expect(await ex.execute(invocation(probe(), null, { traceparent }))).toEqual({ tp: traceparent, set: 'yes' });
      expect(await ex.execute(invocation(probe()))).toEqual({ tp: '', set: '' });
      expect(await ex.execute(invocation(probe({ TRACEPARENT: 'mine' }), null, { traceparent }))).toEqual({ tp: 'mine', set: 'yes' });
    });

    it('returns {exitCode, stdout} when the last stdout line is not JSON; blank trailing lines are ignored for the JSON check', async () => {
      expect(await ex.execute(invocation({ image: BUSYBOX, command: 'echo héllo; echo wörld' }))).toEqual({
        exitCode: 0,
        stdout: 'héllo\nwörld\n',
      });
      expect(await ex.execute(invocation({ image: BUSYBOX, command: 'echo "[1, 2]"; echo; echo "  "' }))).toEqual([1, 2]);
      expect(await ex.execute(invocation({ image: BUSYBOX, command: 'true' }))).toEqual({ exitCode: 0, stdout: '' });
    });

    it('keeps the end of stdout in the result, capped at maxStdoutBytes, and says it was truncated', async () => {
      const small = testExecutor({ maxStdoutBytes: 100 });
      const out = (await small.execute(invocation({ image: BUSYBOX, command: 'seq 1 1000; echo end' }))) as Record<string, unknown>;
      expect(out.exitCode).toBe(0);
      expect(out.stdoutTruncated).toBe(true);
      expect(Buffer.byteLength(out.stdout as string)).toBeLessThanOrEqual(100);
      expect((out.stdout as string).endsWith('999\n1000\nend\n')).toBe(true);
    });

    it('refuses a JSON last line longer than maxJsonBytes (OutputTooLarge) instead of returning it as text', async () => {
      const small = testExecutor({ maxOutputBytes: 1000 });
      const err = await failure(
        small.execute(invocation({ image: BUSYBOX, command: 'printf "{\\"x\\":\\""; head -c 5000 /dev/zero | tr "\\0" a; echo "\\"}"' })),
      );
      expect(err.name).toBe('OutputTooLarge');
      expect(err.message).toContain('maxJsonBytes=1000 (OPENCLAW_MAX_JSON_BYTES');
    });

    it('writes every stdout and stderr line to the step log, in order per stream', async () => {
      const inv = invocation({ image: BUSYBOX, command: 'for i in 1 2 3; do echo out$i; echo err$i >&2; done; printf "no newline"' });
      await ex.execute(inv);
      expect(inv.lines.filter((l) => l.stream === 'stdout').map((l) => l.message)).toEqual(['out1', 'out2', 'out3', 'no newline']);
      expect(inv.lines.filter((l) => l.stream === 'stderr').map((l) => l.message)).toEqual(['err1', 'err2', 'err3']);
    });

    it('gives an input too large for the environment on stdin only', async () => {
      const big = { blob: 'x'.repeat(MAX_ENV_INPUT_BYTES + 10) };
      const out = await ex.execute(
        invocation({ image: BUSYBOX, command: 'echo "{\\"stdin\\": $(wc -c), \\"env\\": ${#OPENCLAW_INPUT}}"' }, big),
      );
      expect(out).toEqual({ stdin: JSON.stringify(big).length + 1, env: 0 });
    });

    it('runs a Node image (local/node)', async () => {
      const out = await ex.execute(
        invocation(
          {
            image: NODE,
            command: [
              'node',
              '-e',
              'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify({sum: JSON.parse(s).a + JSON.parse(s).b, node: process.version})))',
            ],
          },
          { a: 2, b: 3 },
        ),
      );
      expect(out).toEqual({ sum: 5, node: process.version });
    });
  });

  describe('failures', () => {
    it('a non-zero exit is a retryable ContainerExit with the exit code and the end of stderr', async () => {
      const err = await failure(ex.execute(invocation({ image: BUSYBOX, command: 'echo to stdout; echo "something broke" >&2; exit 3' })));
      expect(err).toBeInstanceOf(TaskError);
      expect(err.name).toBe('ContainerExit');
      expect(err.retryable).toBe(true);
      expect(err.message).toBe('the container exited with code 3: something broke');
    });

    it('an OOM kill is a non-retryable OutOfMemory naming the limit', async () => {
      const err = await failure(
        ex.execute(invocation({ image: BUSYBOX, command: 'x=a; while true; do x="$x$x"; done', resources: { memory: '16Mi' } })),
      );
      // The message says why when it is not an OOM kill (seen once in CI as ContainerExit: to diagnose).
      expect(err.name, err.message).toBe('OutOfMemory');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('16 MiB');
    });

    it('a missing image is a non-retryable ImageNotFound (nothing is pulled with containerPull=never)', async () => {
      const err = await failure(ex.execute(invocation({ image: 'local/does-not-exist:1' })));
      expect(err.name).toBe('ImageNotFound');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('local/does-not-exist:1');
    });

    it('a command that does not exist is a non-retryable ContainerStartFailed', async () => {
      const err = await failure(ex.execute(invocation({ image: BUSYBOX, command: ['/no/such/program'] })));
      expect(err.name).toBe('ContainerStartFailed');
      expect(err.retryable).toBe(false);
    });

    it('refuses network: bridge unless the engine allows it (NetworkNotAllowed), and limits above the caps (ResourceLimitExceeded)', async () => {
      const net = await failure(ex.execute(invocation({ image: BUSYBOX, command: 'true', network: 'bridge' })));
      expect([net.name, net.retryable]).toEqual(['NetworkNotAllowed', false]);
      expect(net.message).toContain('OPENCLAW_CONTAINER_ALLOW_NETWORK');
      const capped = testExecutor({ maxMemoryBytes: 64 * 1024 * 1024, maxPids: 100, maxCpus: 1 });
      for (const resources of [{ memory: '65Mi' }, { pids: 101 }, { cpus: 1.5 }]) {
        const err = await failure(capped.execute(invocation({ image: BUSYBOX, command: 'true', resources })));
        expect([err.name, err.retryable]).toEqual(['ResourceLimitExceeded', false]);
      }
      const err = await failure(capped.execute(invocation({ image: BUSYBOX, command: 'true', resources: { memory: 'lots' } })));
      expect(err.name).toBe('InvalidContainerSpec');
    });

    it('with network allowed, network: bridge gets an interface besides lo', async () => {
      const open = testExecutor({ allowNetwork: true });
      const out = (await open.execute(
        invocation({ image: BUSYBOX, command: 'tail -n +3 /proc/net/dev | cut -d: -f1', network: 'bridge' }),
      )) as {
        stdout: string;
      };
      expect(out.stdout.split('\n').map((s) => s.trim())).toContain('eth0');
    });

    it('Docker unreachable is a retryable DockerUnavailable that says where it looked', async () => {
      const nowhere = testExecutor({ docker: { socketPath: '/nonexistent/docker.sock' } });
      const err = await failure(nowhere.execute(invocation({ image: BUSYBOX, command: 'true' })));
      expect([err.name, err.retryable]).toEqual(['DockerUnavailable', true]);
      expect(err.message).toContain('unix:///nonexistent/docker.sock');
      // Constructing and starting it never fails: the worker starts; container steps fail until Docker is back.
      await nowhere.start({ workerId: 'w', log: invocation({}).log });
    });
  });

  describe('abort and cleanup', () => {
    it('labels its containers and removes them after the attempt', async () => {
      const inv = invocation({ image: BUSYBOX, command: 'sleep 1; echo done' }, null, { attempt: 2 });
      const p = ex.execute(inv);
      const c = await runningContainer(inv.runId);
      expect(c.Labels).toMatchObject({
        'openclaw.managed': 'true',
        'openclaw.scope': ex.scope,
        'openclaw.executor': ex.instance,
        'openclaw.run': inv.runId,
        'openclaw.step': 'probe',
        'openclaw.attempt': '2',
      });
      expect(await p).toEqual({ exitCode: 0, stdout: 'done\n' });
      expect(await managedContainers(docker, 'openclaw.run', inv.runId)).toEqual([]);
    });

    it('an abort (timeout, cancel, lost lease) kills and removes the container at once and rejects with its reason', async () => {
      const inv = invocation({ image: BUSYBOX, command: 'echo started; sleep 300' });
      const p = ex.execute(inv);
      await runningContainer(inv.runId);
      const started = Date.now();
      const reason = new TaskError('TimeoutError', 'step probe timed out');
      inv.abort.abort(reason);
      expect(await failure(p)).toBe(reason);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await managedContainers(docker, 'openclaw.run', inv.runId)).toEqual([]);
    });

    it('an abort before the container starts creates nothing', async () => {
      const inv = invocation({ image: BUSYBOX, command: 'sleep 300' });
      inv.abort.abort(new TaskError('LeaseLost', 'gone'));
      expect((await failure(ex.execute(inv))).name).toBe('LeaseLost');
      expect(await managedContainers(docker, 'openclaw.run', inv.runId)).toEqual([]);
    });

    it('start() removes containers of gone workers, its own earlier leftovers and stale exited ones; never live ones', async () => {
      const scope = `cleanup-${Date.now()}`;
      const make = async (worker: string, cmd: string, executor = 'some-other-process'): Promise<Docker.Container> => {
        const c = await docker.createContainer({
          Image: BUSYBOX,
          Cmd: ['sh', '-c', cmd],
          User: '65534:65534',
          Labels: { 'openclaw.managed': 'true', 'openclaw.scope': scope, 'openclaw.worker': worker, 'openclaw.executor': executor },
          HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'none', Config: {} } },
        });
        await c.start();
        return c;
      };
      const dead = await make('dead-worker', 'sleep 300');
      const live = await make('live-worker', 'sleep 300');
      const exitedLive = await make('live-worker', 'true');
      const mine = await make('me', 'sleep 300');
      const otherScope = await docker.createContainer({
        Image: BUSYBOX,
        Cmd: ['sleep', '300'],
        Labels: { 'openclaw.managed': 'true', 'openclaw.scope': `${scope}-other`, 'openclaw.worker': 'dead-worker' },
        HostConfig: { NetworkMode: 'none' },
      });
      await otherScope.start();
      await waitFor(async () => (await exitedLive.inspect()).State.Status === 'exited');
      const cleaner = testExecutor({ scope, isWorkerAlive: (id) => Promise.resolve(id === 'live-worker'), cleanupGraceMs: 0 });
      const sameProcess = await make('dead-worker', 'sleep 300', cleaner.instance);
      try {
        await cleaner.start({ workerId: 'me', log: invocation({}).log });
        const left = (await managedContainers(docker, 'openclaw.scope', scope)).map((c) => c.Id).sort();
        expect(left).toEqual([live.id, sameProcess.id].sort());
        expect((await otherScope.inspect()).State.Running).toBe(true);
        for (const gone of [dead, exitedLive, mine]) await expect(gone.inspect()).rejects.toMatchObject({ statusCode: 404 });
      } finally {
        for (const c of [dead, live, exitedLive, mine, otherScope, sameProcess]) await c.remove({ force: true }).catch(() => undefined);
      }
    });
  });

  describe('isolation (S12)', () => {
    const PROBE = `
    echo "== id"; id -u; id -g
    echo "== caps"; grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs)' /proc/self/status
    echo "== interfaces"; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '
    echo "== wget"; wget -q -T 3 -O /dev/null http://1.1.1.1/ 2>&1; echo "rc=$?"
    echo "== write root"; touch /probe 2>&1; echo "rc=$?"
    echo "== write tmp"; echo hi > /tmp/x && cat /tmp/x
    echo "== exec tmp"; cp /bin/busybox /tmp/bb && /tmp/bb true 2>&1; echo "rc=$?"
    echo "== fill tmp"; dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>&1; echo "rc=$?"; ls -l /tmp/fill | awk '{print $5}'
    echo "== env"; env | cut -d= -f1 | sort
    echo "== env values"; env
    echo "== sockets"; ls /var/run/docker.sock /run/docker.sock 2>&1; echo "rc=$?"
    echo "== mounts"; cat /proc/mounts
    echo "== processes"; ls -d /proc/[0-9]* | wc -l
    echo "== limits"
    cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null
    cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null
    cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max 2>/dev/null
    exit 0
  `;
    const sections: Record<string, string[]> = {};
    const iso = testExecutor({ tmpfsBytes: 16 * 1024 * 1024 });

    beforeAll(async () => {
      process.env.OPENCLAW_PROBE_WORKER_SECRET = 'worker-only-value';
      const inv = invocation({
        image: BUSYBOX,
        command: PROBE,
        env: { GREETING: 'hi' },
        resources: { memory: '64Mi', cpus: 0.5, pids: 50 },
      });
      await iso.execute(inv);
      let current = '';
      for (const line of inv.lines.filter((l) => l.stream === 'stdout').map((l) => l.message)) {
        if (line.startsWith('== ')) sections[(current = line.slice(3))] = [];
        else if (current && line) sections[current]?.push(line);
      }
    });
    afterAll(async () => {
      delete process.env.OPENCLAW_PROBE_WORKER_SECRET;
      await iso.stop();
    });

    it('runs as a non-root user (65534:65534)', () => {
      expect(sections.id).toEqual(['65534', '65534']);
    });

    it('has no capabilities, and no-new-privileges', () => {
      expect(sections.caps).toEqual([
        'CapPrm:\t0000000000000000',
        'CapEff:\t0000000000000000',
        'CapBnd:\t0000000000000000',
        'NoNewPrivs:\t1',
      ]);
    });

    it('has no network: only the loopback interface, and connections fail', () => {
      expect(sections.interfaces).toEqual(['lo']);
      expect(sections.wget?.at(-1)).not.toBe('rc=0');
    });

    it('cannot write the root filesystem; /tmp is writable but not executable, and capped', () => {
      expect(sections['write root']?.join('\n')).toMatch(/Read-only file system[\s\S]*rc=1/);
      expect(sections['write tmp']).toEqual(['hi']);
      expect(sections['exec tmp']?.join('\n')).toMatch(/Permission denied[\s\S]*rc=126/);
      expect(sections['fill tmp']?.join('\n')).toMatch(/No space left on device[\s\S]*rc=1/);
      expect(Number(sections['fill tmp']?.at(-1))).toBeLessThanOrEqual(16 * 1024 * 1024);
    });

    it('cannot read the worker’s environment: only its own variables', () => {
      const names = sections.env ?? [];
      const allowed = new Set(['PATH', 'HOSTNAME', 'HOME', 'PWD', 'SHLVL', 'GREETING']);
      expect(names.filter((n) => !allowed.has(n) && !n.startsWith('OPENCLAW_'))).toEqual([]);
      expect(names).not.toContain('OPENCLAW_PROBE_WORKER_SECRET');
      expect(sections['env values']?.join('\n')).not.toContain('worker-only-value');
      expect(sections['env values']?.join('\n')).not.toContain(process.env.PATH);
      // Its own PID namespace: the worker's processes (and their /proc/<pid>/environ) are not visible.
      expect(Number(sections.processes?.[0])).toBeLessThanOrEqual(5);
    });

    it('has no Docker socket and no host mounts', () => {
      expect(sections.sockets?.at(-1)).toBe('rc=1');
      const mounts = sections.mounts ?? [];
      expect(mounts.join('\n')).not.toContain('docker.sock');
      // Docker's own /etc/hosts, /etc/hostname, /etc/resolv.conf are the only files from the host.
      const diskFs = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'zfs', 'vfat', 'nfs', 'nfs4', '9p', 'virtiofs', 'fuse']);
      const fromHostDisk = mounts.map((m) => m.split(' ')).filter(([, , fs]) => diskFs.has(fs ?? ''));
      const dockerFiles = ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf'];
      expect(fromHostDisk.map(([, target]) => target).filter((t) => !dockerFiles.includes(t ?? ''))).toEqual([]);
    });

    it('runs under the memory, pids and cpu limits it asked for', () => {
      const limits = sections.limits ?? [];
      expect(limits[0]).toBe(String(64 * 1024 * 1024));
      expect(limits[1]).toBe('50');
      expect(limits[2]).toMatch(/^(50000|50000 100000)$/);
    });

    it('the pids limit stops a fork bomb', async () => {
      // Without the limit this would take the host down; with it, forks fail and the bomb dies out.
      // pids.events counts the forks the limit refused (cgroup v1 path, else v2).
      const inv = invocation({
        image: BUSYBOX,
        command:
          'f=/sys/fs/cgroup/pids/pids.events; [ -e $f ] || f=/sys/fs/cgroup/pids.events; ' +
          // The bomb runs in a subshell: the main shell forks once, before the limit is reached,
          // so a refused fork can only fail the bomb's own processes, never this script.
          '(bomb() { bomb | bomb & }; bomb) 2>/dev/null & ' +
          // Builtins only from here (no fork): watch until the limit has refused forks.
          'ev="max 0"; i=0; while [ "$ev" = "max 0" ] && [ $i -lt 1000000 ]; do read ev < $f; i=$((i+1)); done; ' +
          'echo "{\\"events\\": \\"$ev\\"}"',
        resources: { pids: 32 },
      });
      const out = (await iso.execute(inv)) as { events: string };
      expect(out.events).toMatch(/^max [1-9][0-9]*$/);
      expect(await managedContainers(docker, 'openclaw.run', inv.runId)).toEqual([]);
    });
  });
});
