export * from './cli-error.js';
export * from './funcx-home.js';
