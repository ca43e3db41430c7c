/**
 * Containers left behind: a worker that crashed (SIGKILL, OOM, power loss) cannot remove the
 * containers it started. When a worker starts, its container executor removes, among the managed
 * containers of its own scope (one engine database + namespace):
 *   - those labelled with the starting worker's own id (an earlier life of a worker with that id),
 *   - those of workers that are gone (`isWorkerAlive` says no: stopped, or no heartbeat lately),
 *   - exited ones that nobody removed within `graceMs` (their executor would have by then).
 * Containers of this executor instance (this process) are never touched: it removes its own.
 *
 * Then the attempts' artifact volumes (artifact-volumes.ts), labelled the same way: those of this
 * worker's earlier life and of gone workers, and those of live workers that no container uses and
 * that are older than `graceMs` (a volume in use cannot be removed: Docker answers 409).
 */
import type Docker from 'dockerode';
import type { Logger } from '../../telemetry/logger.js';
import { dockerMessage, httpStatus } from './docker.js';

export const LABELS = {
  managed: 'openclaw.managed',
  scope: 'openclaw.scope',
  worker: 'openclaw.worker',
  executor: 'openclaw.executor',
  run: 'openclaw.run',
  step: 'openclaw.step',
  attempt: 'openclaw.attempt',
} as const;

export interface CleanupOptions {
  scope: string;
  /** This executor instance: its containers are live and never removed here. */
  instance: string;
  workerId: string;
  isWorkerAlive: ((workerId: string) => Promise<boolean>) | undefined;
  graceMs: number;
  log: Logger;
}

/** Removes leftover containers, then volumes (see the module comment); returns how many were removed. */
export async function removeLeftovers(docker: Docker, o: CleanupOptions): Promise<number> {
  const isAlive = aliveCheck(o);
  const containers = await removeContainers(docker, o, isAlive);
  return containers + (await removeVolumes(docker, o, isAlive));
}

type AliveCheck = (workerId: string) => Promise<boolean>;

/** `isWorkerAlive`, asked once per worker; an answer it cannot give counts as alive (keep). */
function aliveCheck(o: CleanupOptions): AliveCheck {
  const alive = new Map<string, Promise<boolean>>();
  const isAlive = (id: string): Promise<boolean> => {
    if (!id) return Promise.resolve(false);
    if (!o.isWorkerAlive) return Promise.resolve(true);
    let p = alive.get(id);
    if (!p) {
      p = o.isWorkerAlive(id).catch((err: unknown) => {
        o.log.warn({ err, worker: id }, 'container cleanup: could not check a worker; keeping its containers');
        return true;
      });
      alive.set(id, p);
    }
    return p;
  };
  return isAlive;
}

const FILTERS = (o: CleanupOptions): { label: string[] } => ({ label: [`${LABELS.managed}=true`, `${LABELS.scope}=${o.scope}`] });

async function removeContainers(docker: Docker, o: CleanupOptions, isAlive: AliveCheck): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: FILTERS(o) });
  let removed = 0;
  for (const c of list) {
    const labels = c.Labels;
    if (labels[LABELS.executor] === o.instance || c.State === 'removing') continue;
    const owner = labels[LABELS.worker] ?? '';
    let why: string | null = null;
    if (owner === o.workerId) why = 'left over by an earlier life of this worker';
    else if (!(await isAlive(owner))) why = `its worker ${owner || '(unknown)'} is gone`;
    else if (c.State === 'exited' || c.State === 'dead') {
      const finished = await docker
        .getContainer(c.Id)
        .inspect()
        .then((i) => Date.parse(i.State.FinishedAt))
        .catch(() => NaN);
      if (!(Date.now() - finished < o.graceMs)) why = 'exited and not removed by its worker';
    }
    if (!why) continue;
    try {
      await docker.getContainer(c.Id).remove({ force: true, v: true });
      removed++;
      o.log.info(
        { container: c.Id.slice(0, 12), worker: owner, runId: labels[LABELS.run], step: labels[LABELS.step], state: c.State },
        `removed a leftover container: ${why}`,
      );
    } catch (err) {
      if (httpStatus(err) !== 404 && httpStatus(err) !== 409) {
        o.log.warn({ container: c.Id.slice(0, 12), error: dockerMessage(err) }, 'could not remove a leftover container');
      }
    }
  }
  return removed;
}

async function removeVolumes(docker: Docker, o: CleanupOptions, isAlive: AliveCheck): Promise<number> {
  const { Volumes: list } = await docker.listVolumes({ filters: FILTERS(o) });
  let removed = 0;
  for (const v of list ?? []) {
    const labels = v.Labels ?? {};
    if (labels[LABELS.executor] === o.instance) continue;
    const owner = labels[LABELS.worker] ?? '';
    const created = Date.parse((v as { CreatedAt?: string }).CreatedAt ?? '');
    let why: string | null = null;
    if (owner === o.workerId) why = 'left over by an earlier life of this worker';
    else if (!(await isAlive(owner))) why = `its worker ${owner || '(unknown)'} is gone`;
    else if (!(Date.now() - created < o.graceMs)) why = 'not removed by its worker';
    if (!why) continue;
    try {
      await docker.getVolume(v.Name).remove();
      removed++;
      o.log.info(
        { volume: v.Name, worker: owner, runId: labels[LABELS.run], step: labels[LABELS.step] },
        `removed a leftover volume: ${why}`,
      );
    } catch (err) {
      // 409: still in use by a container (a live attempt's, or one whose removal failed: next time).
      if (httpStatus(err) !== 404 && httpStatus(err) !== 409) {
        o.log.warn({ volume: v.Name, error: dockerMessage(err) }, 'could not remove a leftover volume');
      }
    }
  }
  return removed;
}
