export { buildApp, type HubApp } from './app.js';
export { startHub, type RunningHub } from './hub.js';
export type { HubOptions } from './options.js';
export type { HubContext } from './context.js';
export type { Store, TokenRecord, UserRecord } from './store/store.js';
export { MemoryStore } from './store/memory.js';
