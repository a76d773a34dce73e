export * from './hub-client.js';
export { errorFromResponse, unreachableError } from './hub-errors.js';
export * from './stream-follower.js';
