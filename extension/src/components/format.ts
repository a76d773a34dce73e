import type { EndpointStatus, WarmImage } from '@funcx/protocol';

/** "3 s ago", "2 min ago", "1 h ago". */
export function relativeTime(epochMs: number | undefined, now = Date.now()): string {
  if (epochMs === undefined) return 'never';
  const seconds = Math.max(0, Math.round((now - epochMs) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

/**
 * An endpoint's heartbeat as the sidebar and the map say it: "live" while it is online (the hub marks it
 * offline within three missed heartbeats, and sends its status when that happens), else when it was last heard.
 */
export function heartbeatText(status: EndpointStatus, now = Date.now()): string {
  if (status.online) return 'live';
  return status.last_heartbeat === undefined ? 'never' : `last ${relativeTime(status.last_heartbeat, now)}`;
}

/** "python:3.11 ×3 (1 idle), sci-stack ×1" (workers without a container are "no container"). */
export function warmImagesText(images: readonly WarmImage[]): string {
  return images
    .map((warm) => `${warm.image || 'no container'} ×${warm.workers}${warm.idle > 0 ? ` (${warm.idle} idle)` : ''}`)
    .join(', ');
}

/** "850 ms", "2.4 s", "3 min 5 s". */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatLocation(location: { lat: number; lon: number } | undefined): string {
  if (!location) return '';
  const lat = `${Math.abs(location.lat).toFixed(2)}°${location.lat >= 0 ? 'N' : 'S'}`;
  const lon = `${Math.abs(location.lon).toFixed(2)}°${location.lon >= 0 ? 'E' : 'W'}`;
  return `${lat} ${lon}`;
}
