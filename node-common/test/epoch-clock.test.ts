import assert from 'node:assert/strict';
import { it } from 'node:test';
import { EpochClock, epochMs } from '../src/epoch-clock.js';

/** A wall clock (whole milliseconds, as Date.now()) and a monotonic one that move together unless told. */
function clocks(start = 1_800_000_000_000.25) {
  let mono = 10;
  let wallOffset = start - mono;
  return {
    advance(ms: number) {
      mono += ms;
    },
    stepWall(ms: number) {
      wallOffset += ms;
    },
    trueWall: () => wallOffset + mono,
    /** The wall clock's reading at monotonic 0, as performance.timeOrigin is. */
    origin: () => wallOffset,
    wall: () => Math.floor(wallOffset + mono),
    // Each reading moves time on a little, as a real clock does while code runs.
    monotonic: () => (mono += 0.001),
  };
}

it('keeps sub-millisecond readings on the wall clock while the two clocks agree', () => {
  const c = clocks();
  const clock = new EpochClock(c.wall, c.monotonic, c.origin());
  for (let i = 0; i < 50; i++) {
    c.advance(123.4567);
    const reading = clock.now();
    assert.ok(Math.abs(reading - c.trueWall()) < 0.01, `off by ${reading - c.trueWall()} ms`);
  }
});

it('follows a step of the wall clock within a second, to within a few microseconds', () => {
  for (const step of [37.3, -250.8, 3.2, -2.1]) {
    const c = clocks();
    const clock = new EpochClock(c.wall, c.monotonic, c.origin());
    c.advance(500);
    clock.now();
    c.stepWall(step);
    c.advance(400);
    assert.ok(Math.abs(clock.now() - c.trueWall() + step) < 0.01, 'a reading within the second still follows the old wall time');
    c.advance(200);
    const reading = clock.now();
    assert.ok(Math.abs(reading - c.trueWall()) < 0.01, `after a step of ${step} ms: off by ${reading - c.trueWall()} ms`);
  }
});

it('keeps up with a wall clock slewed faster than the monotonic one', () => {
  const c = clocks();
  const clock = new EpochClock(c.wall, c.monotonic, c.origin());
  let worst = 0;
  for (let i = 0; i < 600; i++) {
    c.advance(100);
    c.stepWall(0.05); // 500 ppm, the most NTP slews by
    worst = Math.max(worst, Math.abs(clock.now() - c.trueWall()));
  }
  assert.ok(worst < 1.1, `off by up to ${worst} ms`);
});

it('leaves sub-millisecond differences between the readings alone', () => {
  const c = clocks();
  const clock = new EpochClock(c.wall, c.monotonic, c.origin());
  c.advance(1500);
  const first = clock.now();
  c.advance(0.25);
  assert.ok(Math.abs(clock.now() - first - 0.25) < 0.01);
});

it('epochMs reads the real clocks: it agrees with Date.now() and moves forward', () => {
  const before = Date.now();
  const reading = epochMs();
  const after = Date.now();
  assert.ok(reading >= before - 1 && reading <= after + 1, `${reading} is not within [${before}, ${after}]`);
  assert.ok(epochMs() >= reading);
});
