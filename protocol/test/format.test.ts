import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAgo, formatBytes, formatDuration } from '../src/index.js';

describe('how funcX writes times and sizes', () => {
  const now = 1_700_000_000_000;

  it('a heartbeat 3 s before now reads "3 s ago", and 2 s later "5 s ago"', () => {
    assert.equal(formatAgo(now - 3_000, now), '3 s ago');
    assert.equal(formatAgo(now - 3_000, now + 2_000), '5 s ago');
  });

  it('older times read in minutes, hours, then days', () => {
    assert.equal(formatAgo(now - 90_000, now), '2 min ago');
    assert.equal(formatAgo(now - 3 * 3_600_000, now), '3 h ago');
    assert.equal(formatAgo(now - 3 * 86_400_000, now), '3 d ago');
  });

  it('no time yet reads "never", and a clock slightly behind the hub reads "0 s ago"', () => {
    assert.equal(formatAgo(undefined, now), 'never');
    assert.equal(formatAgo(now + 400, now), '0 s ago');
  });

  it('durations keep sub-millisecond precision, then read in s, then min and s', () => {
    assert.equal(formatDuration(0.213), '0.21 ms');
    assert.equal(formatDuration(850), '850.0 ms');
    assert.equal(formatDuration(2_400), '2.40 s');
    assert.equal(formatDuration(185_000), '3 min 5 s');
  });

  it('sizes are in binary units', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(10 * 1024 * 1024), '10 MiB');
    assert.equal(formatBytes(9.4 * 1024 * 1024), '9.4 MiB');
  });
});
