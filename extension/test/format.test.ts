import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { duration, formatLocation, heartbeatText, warmImagesText } from '../src/components/format';

describe('durations and locations', () => {
  it('durations read in ms, s, then min and s', () => {
    assert.equal(duration(850), '850.0 ms');
    assert.equal(duration(undefined), '');
    assert.equal(duration(2_400), '2.40 s');
    assert.equal(duration(185_000), '3 min 5 s');
  });

  it('a location reads with hemispheres', () => {
    assert.equal(formatLocation({ lat: 41.71, lon: -87.98 }), '41.71°N 87.98°W');
  });
});

describe('heartbeat text', () => {
  const status = { online: true, workers_total: 1, workers_busy: 0, queued: 0, running: 0, warm_images: [] };
  it('is "live" while the endpoint is online, whenever its status was last sent', () => {
    assert.equal(heartbeatText({ ...status, last_heartbeat: 0 }, 120_000), 'live');
  });
  it('says when an offline endpoint was last heard from, or that it never was', () => {
    assert.equal(heartbeatText({ ...status, online: false, last_heartbeat: 0 }, 180_000), 'last 3 min ago');
    assert.equal(heartbeatText({ ...status, online: false }, 0), 'never');
  });
});

describe('warm images', () => {
  it('lists each image with its warm workers and how many are idle', () => {
    assert.equal(
      warmImagesText([{ image: 'localhost/sci', workers: 3, idle: 1 }, { image: '', workers: 2, idle: 0 }]),
      'localhost/sci ×3 (1 idle), no container ×2',
    );
  });
});
