export { ContainerExecutor, MAX_ENV_INPUT_BYTES, type ContainerExecutorOptions } from './executor.js';
export { LABELS as CONTAINER_LABELS } from './cleanup.js';
export { planContainer, type ContainerPlan, type ContainerPolicy } from './plan.js';
