/** Epoch milliseconds with sub-millisecond precision, kept on the wall clock as the endpoints' stamps are. */
export { epochMs as now } from '@funcx/node-common';
