export * from './statuses.js';
export * from './history-events.js';
export * from './channels.js';
export * from './failures.js';
