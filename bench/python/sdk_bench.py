"""The Python SDK's side of `npm run bench:sdk` (bench/src/sdk-bench.ts starts the hub and endpoint and runs
this with FUNCX_HUB_URL and FUNCX_TOKEN set): warm round trips through Executor.submit(...).result(), and
Executor.map over a batch of no-ops. Prints one JSON object on stdout."""

import argparse
import json
import os
import sys
import time

import funcx


def noop(_x=None):
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", default="bench")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    executor = funcx.Executor(options.endpoint, task_group="sdk-bench")
    for _ in range(300):
        executor.submit(noop).result(60)
    list(executor.map(noop, range(min(options.batch, 2000))))
    sys.stderr.write("sdk: %d round trips, one at a time…\n" % options.samples)
    round_trips = []
    for _ in range(options.samples):
        started = time.perf_counter()
        executor.submit(noop).result(60)
        round_trips.append((time.perf_counter() - started) * 1000)
    maps = []
    for _ in range(options.rounds):
        sys.stderr.write("sdk: Executor.map over %d no-ops…\n" % options.batch)
        started = time.perf_counter()
        cpu = time.process_time()
        results = list(executor.map(noop, range(options.batch)))
        elapsed = time.perf_counter() - started
        maps.append({"seconds": elapsed, "tasks_per_s": options.batch / elapsed,
                     "client_cpu_us_per_task": (time.process_time() - cpu) / options.batch * 1e6,
                     "load": os.getloadavg()[0]})
        assert len(results) == options.batch and all(value is None for value in results)
    executor.shutdown()
    json.dump({"round_trips_ms": round_trips, "maps": maps, "python": sys.version.split()[0]}, sys.stdout)


if __name__ == "__main__":
    main()
