export * from './statuses.js';
export * from './history-events.js';
export * from './channels.js';
export * from './failures.js';
export * from './roles.js';
