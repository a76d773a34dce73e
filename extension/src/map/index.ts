export { EndpointMapWidget } from './widget';
export type { IMapSource, TaskActivity } from './source';
export { markerLabel, markerRadius, markerStatus, type MarkerStatus } from './status';
