import { formatAgo, formatDuration, type EndpointStatus, type WarmImage } from '@funcx/protocol';

/**
 * An endpoint's heartbeat as the sidebar and the map say it: "live" while it is online (the hub marks it
 * offline within three missed heartbeats, and sends its status when that happens), else when it was last heard.
 */
export function heartbeatText(status: EndpointStatus, now = Date.now()): string {
  if (status.online) return 'live';
  return status.last_heartbeat === undefined ? 'never' : `last ${formatAgo(status.last_heartbeat, now)}`;
}

/** "python:3.11 ×3 (1 idle), sci-stack ×1" (workers without a container are "no container"). */
export function warmImagesText(images: readonly WarmImage[]): string {
  return images
    .map((warm) => `${warm.image || 'no container'} ×${warm.workers}${warm.idle > 0 ? ` (${warm.idle} idle)` : ''}`)
    .join(', ');
}

/** A duration as the task list shows it; nothing while it is unknown. */
export function duration(ms: number | undefined): string {
  return ms === undefined ? '' : formatDuration(ms);
}

export function formatLocation(location: { lat: number; lon: number } | undefined): string {
  if (!location) return '';
  const lat = `${Math.abs(location.lat).toFixed(2)}°${location.lat >= 0 ? 'N' : 'S'}`;
  const lon = `${Math.abs(location.lon).toFixed(2)}°${location.lon >= 0 ? 'E' : 'W'}`;
  return `${lat} ${lon}`;
}
