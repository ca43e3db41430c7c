/** The one place that maps a compiled graph to the model that drives it. */
import type { GraphModel, TaskNode } from '../../core/transition-tx.js';
import type { CompiledWorkflow } from '../../spec/types.js';
import { dagModel } from './dag.js';
import { stateMachineModel } from './state-machine.js';

const MODELS: Record<CompiledWorkflow['graph']['model'], GraphModel> = { dag: dagModel, sm: stateMachineModel };

export function modelFor(wf: CompiledWorkflow): GraphModel {
  return MODELS[wf.graph.model];
}

/** The task node behind a step name (a DAG step or a state-machine task state), or undefined. */
export function taskNodeOf(wf: CompiledWorkflow, name: string): TaskNode | undefined {
  return modelFor(wf).taskNode(wf, name);
}
