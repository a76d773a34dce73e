import { endpointStatus, type EndpointView } from '@funcx/protocol';

const MIN_RADIUS = 7;
const MAX_RADIUS = 18;

/** Marker radius in screen pixels: grows with the square root of the worker count, so area tracks workers. */
export function markerRadius(endpoint: EndpointView): number {
  const workers = Math.max(0, endpoint.status.workers_total);
  return Math.min(MAX_RADIUS, MIN_RADIUS + 2.5 * Math.sqrt(workers));
}

/** The accessible name of a marker, also used by ui-tests to find it. */
export function markerLabel(endpoint: EndpointView): string {
  const { workers_busy, workers_total } = endpoint.status;
  const site = endpoint.site ? endpoint.site : 'not given';
  return (
    `Endpoint ${endpoint.name}, ${endpointStatus(endpoint)}, site ${site}, ` +
    `${workers_busy} of ${workers_total} workers busy`
  );
}

/** True when this endpoint is the one a notebook names by id or by name. */
export function isEndpoint(endpoint: EndpointView, idOrName: string | null | undefined): boolean {
  return !!idOrName && (endpoint.endpoint_id === idOrName || endpoint.name === idOrName);
}

export function hasLocation(endpoint: EndpointView): boolean {
  const location = endpoint.location;
  return (
    !!location &&
    Number.isFinite(location.lat) &&
    Number.isFinite(location.lon) &&
    Math.abs(location.lat) <= 90 &&
    Math.abs(location.lon) <= 180
  );
}
