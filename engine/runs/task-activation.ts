/**
 * Making pending task steps runnable (DAG steps and state-machine task states alike): expand a
 * `forEach`, or evaluate `with` and the task block into the stored input and mark the step ready,
 * all in one UPDATE. A step whose input cannot be built dies without an attempt (dead letter,
 * then its model's failure policy). Model rules that come before this (a DAG's `if` and skip
 * rules) are the model's.
 */
import type { UploadedObject } from '../artifacts/service.js';
import type { StepRow } from '../core/rows.js';
import type { RunCtx } from '../core/transition-tx.js';
import { expandForEach } from './models/for-each.js';
import { attachStepJson } from './json-columns.js';
import { asErrorInfo } from './scope.js';
import { killStep } from './step-store.js';
import { evaluateTaskInput } from './task-input.js';

export async function readyTasks(rc: RunCtx, steps: StepRow[]): Promise<void> {
  const readyIds: string[] = [];
  const readyInputs: Array<string | null> = [];
  const readySpecs: Array<string | null> = [];
  const readyCache: Array<string | null> = [];
  const largeInputs: Array<{ stepId: string; object: UploadedObject }> = [];
  for (const step of steps) {
    const node = rc.model.taskNode(rc.wf, step.name);
    if (!node) throw new Error(`no task node ${step.name} in ${rc.run.workflow}@${rc.run.version}`);
    try {
      if (node.forEach) {
        await expandForEach(rc, step, node);
        continue;
      }
      const { inputJson, inputObject, taskSpec, cacheJson } = await evaluateTaskInput(rc, node, step.key);
      if (inputObject) largeInputs.push({ stepId: step.id, object: inputObject });
      readyIds.push(step.id);
      readyInputs.push(inputJson);
      readySpecs.push(taskSpec === null || taskSpec === undefined ? null : JSON.stringify(taskSpec));
      readyCache.push(cacheJson);
    } catch (err) {
      await killStep(rc, step.id, asErrorInfo(err), { deadLetter: true });
    }
  }
  if (readyIds.length === 0) return;
  const { rows } = await rc.tx.client.query<{ id: string; key: string }>(
    `UPDATE openclaw.step s SET status = 'ready', input = v.input, task_spec = v.task_spec, cache = v.cache, available_at = now()
       FROM unnest($1::bigint[], $2::jsonb[], $3::jsonb[], $4::jsonb[]) AS v(id, input, task_spec, cache)
      WHERE s.id = v.id AND s.status = 'pending'
      RETURNING s.id, s.key`,
    [readyIds, readyInputs, readySpecs, readyCache],
  );
  const written = new Set(rows.map((r) => r.id));
  await attachStepJson(
    rc.tx.client,
    rc.run,
    'input',
    largeInputs.filter((i) => written.has(i.stepId)),
  );
  rc.tx.readied += rows.length;
  for (const r of rows) rc.tx.emit(rc.run.id, 'step.ready', r.key);
}
