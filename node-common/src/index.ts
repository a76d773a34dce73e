export * from './cli-error.js';
export * from './funcx-home.js';
export * from './webassembly.js';
export * from './epoch-clock.js';
