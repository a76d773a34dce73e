import type { EndpointView } from '@funcx/protocol';

import { markerRadius } from './status';
import { toScreen, type ZoomTransform } from './zoom';

export interface IProjected {
  endpoint: EndpointView;
  /** Unzoomed map coordinates. */
  point: [number, number];
}

export interface IPlacedMarker {
  endpoint: EndpointView;
  /** Screen coordinates of the marker's centre in the viewport. */
  x: number;
  y: number;
}

/** Gap in pixels kept between markers that would otherwise overlap. */
const GAP = 3;

/**
 * Screen positions of the markers at this zoom. Markers keep their pixel size while the map scales, so
 * nearby sites (Berkeley and NERSC, or two endpoints on one laptop) overlap when zoomed out: each group
 * of overlapping markers is spread on a ring around its centre, far enough apart to click each one.
 * Zooming in separates them and they return to their true places.
 */
export function layoutMarkers(items: readonly IProjected[], transform: ZoomTransform): IPlacedMarker[] {
  const placed = items.map(item => {
    const [x, y] = toScreen(transform, item.point);
    return { endpoint: item.endpoint, x, y, radius: markerRadius(item.endpoint) };
  });
  for (const group of overlappingGroups(placed)) {
    if (group.length < 2) {
      continue;
    }
    const cx = group.reduce((sum, m) => sum + m.x, 0) / group.length;
    const cy = group.reduce((sum, m) => sum + m.y, 0) / group.length;
    // Neighbours on a ring of n markers are 2 * ring * sin(pi / n) apart: enough for the two largest.
    const radii = group.map(m => m.radius).sort((a, b) => b - a);
    const ring = (radii[0] + radii[1] + GAP) / (2 * Math.sin(Math.PI / group.length));
    group
      .sort((a, b) => a.endpoint.name.localeCompare(b.endpoint.name))
      .forEach((marker, index) => {
        const angle = (2 * Math.PI * index) / group.length - Math.PI / 2;
        marker.x = cx + ring * Math.cos(angle);
        marker.y = cy + ring * Math.sin(angle);
      });
  }
  return placed.map(({ endpoint, x, y }) => ({ endpoint, x, y }));
}

interface ICircle {
  x: number;
  y: number;
  radius: number;
}

/** Groups circles that overlap, directly or through a chain of neighbours (union-find). */
function overlappingGroups<T extends ICircle>(circles: T[]): T[][] {
  const parent = circles.map((_, index) => index);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i])));
  for (let i = 0; i < circles.length; i++) {
    for (let j = i + 1; j < circles.length; j++) {
      const a = circles[i];
      const b = circles[j];
      if (Math.hypot(a.x - b.x, a.y - b.y) < a.radius + b.radius + GAP) {
        parent[root(i)] = root(j);
      }
    }
  }
  const groups = new Map<number, T[]>();
  circles.forEach((circle, index) => {
    const key = root(index);
    groups.set(key, [...(groups.get(key) ?? []), circle]);
  });
  return [...groups.values()];
}
