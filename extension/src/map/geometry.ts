import { geoGraticule10, geoNaturalEarth1, geoPath } from 'd3-geo';
import type { GeoPermissibleObjects } from 'd3-geo';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import countriesTopology from 'world-atlas/countries-110m.json';

import type { Size } from './zoom';

/** SVG path data of the world, fitted to a viewport, in unzoomed map coordinates. */
export interface WorldShapes {
  sphere: string;
  graticule: string;
  land: string;
  borders: string;
  /** Screen position of a longitude/latitude, or null when the projection cannot place it. */
  project(lon: number, lat: number): [number, number] | null;
}

const PADDING = 8;
const topology = countriesTopology as unknown as Topology<{ countries: GeometryCollection; land: GeometryCollection }>;
const SPHERE: GeoPermissibleObjects = { type: 'Sphere' };
// Computed once: the shapes only change with the projection, never with the data.
const LAND = feature(topology, topology.objects.land);
const BORDERS = mesh(topology, topology.objects.countries, (a, b) => a !== b);
const GRATICULE = geoGraticule10();

export function worldShapes(size: Size): WorldShapes {
  const width = Math.max(size.width, 2 * PADDING + 1);
  const height = Math.max(size.height, 2 * PADDING + 1);
  const projection = geoNaturalEarth1().fitExtent(
    [
      [PADDING, PADDING],
      [width - PADDING, height - PADDING]
    ],
    SPHERE
  );
  const path = geoPath(projection);
  return {
    sphere: path(SPHERE) ?? '',
    graticule: path(GRATICULE) ?? '',
    land: path(LAND) ?? '',
    borders: path(BORDERS) ?? '',
    project(lon, lat) {
      const point = projection([lon, lat]);
      return point ? [point[0], point[1]] : null;
    }
  };
}
