"""Runs the worker's tick at every line of Worker.run in another thread,
as the background tick may at any moment, and prints the "started" replies it sent, with the task's ts0.
Usage: tick_during_run.py WORKER_DIR"""

import json
import os
import sys
import threading
import time

sys.path.insert(0, sys.argv[1])
import funcx_worker  # noqa: E402

read_end, write_end = os.pipe()
funcx_worker.OUT_FD = write_end
worker = funcx_worker.Worker({})
worker.define({"t": "f", "f": "f", "s": "1", "e": None})
# The state a worker is in a while after a quick task: nothing running, its start never reported.
worker.run({"t": "r", "i": "earlier", "f": "f"})
time.sleep(0.05)

asked = threading.Event()
answered = threading.Event()


def tick_on_request():
    while True:
        asked.wait()
        asked.clear()
        worker.tick_once(time.time())
        answered.set()


threading.Thread(target=tick_on_request, daemon=True).start()
WATCHED = {"run"}


def at_each_line(frame, event, _arg):
    if event == "line":
        answered.clear()
        asked.set()
        # A tick that waits for a lock this thread holds cannot run now; it runs once the lock is free.
        answered.wait(0.2)
    return at_each_line


def on_call(frame, event, _arg):
    if event == "call" and frame.f_code.co_name in WATCHED and frame.f_code.co_filename == funcx_worker.__file__:
        return at_each_line
    return None


sys.settrace(on_call)
worker.run({"t": "r", "i": "next", "f": "f"})
sys.settrace(None)
time.sleep(0.1)
worker.channel.flush()
os.close(write_end)
data = b""
while True:
    chunk = os.read(read_end, 65536)
    if not chunk:
        break
    data += chunk
replies = [json.loads(line) for line in data.decode().splitlines()]
done = [reply for reply in replies if reply["t"] == "ok" and reply["i"] == "next"][0]
started = [reply for reply in replies if reply["t"] == "s" and reply["i"] == "next"]
print(json.dumps({"ts0": done["ts0"], "started": [reply["ts"] for reply in started]}))
