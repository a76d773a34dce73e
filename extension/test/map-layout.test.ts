import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EndpointView } from '@funcx/protocol';
import { layoutMarkers } from '../src/map/layout';
import { endpointStatus } from '@funcx/protocol';
import { hasLocation, markerLabel, markerRadius } from '../src/map/status';
import { clampTransform, IDENTITY, MAX_SCALE, MIN_SCALE, toScreen, zoomAround, zoomCentre } from '../src/map/zoom';

function endpoint(name: string, status: Partial<EndpointView['status']> = {}, extra: Partial<EndpointView> = {}): EndpointView {
  return {
    endpoint_id: `id-${name}`,
    name,
    owner: 'alice',
    public: false,
    created_at: 0,
    status: { online: true, workers_total: 2, workers_busy: 0, queued: 0, running: 0, warm_images: [], ...status },
    ...extra
  };
}

const size = { width: 800, height: 400 };

describe('markers on the map', () => {
  it('two endpoints at the same place are spread apart far enough to click each', () => {
    const a = endpoint('a');
    const b = endpoint('b');
    const placed = layoutMarkers(
      [
        { endpoint: a, point: [100, 100] },
        { endpoint: b, point: [100, 100] }
      ],
      IDENTITY
    );
    const gap = Math.hypot(placed[0].x - placed[1].x, placed[0].y - placed[1].y);
    assert.ok(gap >= markerRadius(a) + markerRadius(b), `markers ${gap} px apart overlap`);
    const centre = [(placed[0].x + placed[1].x) / 2, (placed[0].y + placed[1].y) / 2];
    assert.deepEqual(centre.map(Math.round), [100, 100], 'the pair stays centred on its place');
  });

  it('markers that do not overlap stay at their true places', () => {
    const placed = layoutMarkers(
      [
        { endpoint: endpoint('a'), point: [100, 100] },
        { endpoint: endpoint('b'), point: [300, 200] }
      ],
      IDENTITY
    );
    assert.deepEqual(
      placed.map(({ x, y }) => [x, y]),
      [
        [100, 100],
        [300, 200]
      ]
    );
  });

  it('zooming in separates near markers and returns them to their true places', () => {
    const items = [
      { endpoint: endpoint('berkeley'), point: [100, 100] as [number, number] },
      { endpoint: endpoint('nersc'), point: [102, 100] as [number, number] }
    ];
    const far = layoutMarkers(items, IDENTITY);
    assert.notDeepEqual(far.map(({ x, y }) => [x, y]), items.map(item => item.point), 'spread when zoomed out');
    const zoomed = { k: 20, x: 0, y: 0 };
    const placed = layoutMarkers(items, zoomed);
    assert.deepEqual(placed.map(({ x, y }) => [x, y]), items.map(item => toScreen(zoomed, item.point)));
  });

  it('a marker grows with the worker count, within bounds', () => {
    const small = markerRadius(endpoint('a', { workers_total: 1 }));
    const large = markerRadius(endpoint('b', { workers_total: 16 }));
    const huge = markerRadius(endpoint('c', { workers_total: 10_000 }));
    assert.ok(small < large);
    assert.equal(huge, 18);
  });

  it('busy means every worker is busy (a task sent now would wait); offline wins over load', () => {
    assert.equal(endpointStatus(endpoint('a')), 'online');
    assert.equal(endpointStatus(endpoint('a', { running: 1, workers_busy: 1 })), 'online', 'a free worker is left');
    assert.equal(endpointStatus(endpoint('a', { running: 2, workers_busy: 2 })), 'busy');
    assert.equal(endpointStatus(endpoint('a', { online: false, running: 1 })), 'offline');
  });

  it('a marker is labelled for screen readers with name, status, site and workers', () => {
    assert.equal(
      markerLabel(endpoint('local', { workers_busy: 1 }, { site: 'Argonne (laptop)' })),
      'Endpoint local, online, site Argonne (laptop), 1 of 2 workers busy'
    );
  });

  it('an endpoint without a valid location is not placed', () => {
    assert.equal(hasLocation(endpoint('a')), false);
    assert.equal(hasLocation(endpoint('a', {}, { location: { lat: 95, lon: 0 } })), false);
    assert.equal(hasLocation(endpoint('a', {}, { location: { lat: 41.7, lon: -88 } })), true);
  });
});

describe('zoom and pan', () => {
  it('zooming is clamped between the whole world and the closest zoom', () => {
    let t = IDENTITY;
    for (let i = 0; i < 20; i++) t = zoomCentre(t, 2, size);
    assert.equal(t.k, MAX_SCALE);
    for (let i = 0; i < 20; i++) t = zoomCentre(t, 0.5, size);
    assert.deepEqual(t, { k: MIN_SCALE, x: 0, y: 0 });
  });

  it('the map cannot be panned off the viewport', () => {
    assert.deepEqual(clampTransform({ k: 2, x: 500, y: -1000 }, size), { k: 2, x: 0, y: -400 });
  });

  it('the point under the pointer stays under it while zooming', () => {
    const t = zoomAround(IDENTITY, 3, 200, 100, size);
    const [x, y] = toScreen(t, [200, 100]);
    assert.ok(Math.abs(x - 200) < 1e-9 && Math.abs(y - 100) < 1e-9);
  });
});
