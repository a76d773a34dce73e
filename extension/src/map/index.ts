export { EndpointMapWidget } from './widget';
export type { IMapSource, TaskActivity } from './source';
export { markerLabel, markerRadius } from './status';
