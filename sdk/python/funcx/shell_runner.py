"""Runs a shell command as a funcX task: sent as this file's source (standard library only) by
funcx.ShellFunction, `funcx run --shell` and `%%funcx ENDPOINT --shell`, so endpoints need nothing new.

run_shell(cmd, kwargs=None, walltime=None, lines=1000) fills the command template from kwargs (each value
quoted with shlex.quote; `{{` and `}}` stand for braces), runs it with bash (sh where there is no bash), streams
its stdout and stderr into the task's outputs as it writes them, and returns
{"returncode", "stdout", "stderr", "cmd"} with the last `lines` lines of each stream. After `walltime` seconds the
command's process group is stopped (SIGTERM, then SIGKILL) and the return code is 124, as with timeout(1).
"""

import codecs
import collections
import os
import shlex
import signal
import subprocess
import sys
import threading

WALLTIME_RETURNCODE = 124
KILL_GRACE_S = 2.0


def fill(cmd, kwargs):
    if not kwargs:
        return cmd
    return cmd.format(**{key: shlex.quote(str(value)) for key, value in kwargs.items()})


class _Tail:
    """The last `limit` lines of a stream."""

    def __init__(self, limit):
        self.lines = collections.deque(maxlen=max(0, int(limit)))
        self.partial = ""

    def add(self, text):
        text = self.partial + text
        pieces = text.split("\n")
        self.partial = pieces.pop()
        for piece in pieces:
            self.lines.append(piece + "\n")

    def text(self):
        lines = list(self.lines)
        if self.partial:
            lines.append(self.partial)
        limit = self.lines.maxlen
        return "".join(lines[-limit:] if limit else [])


def _pump(pipe, stream, tail):
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    fd = pipe.fileno()
    while True:
        chunk = os.read(fd, 1 << 16)
        text = decoder.decode(chunk, final=not chunk)
        if text:
            tail.add(text)
            stream.write(text)
            if "\n" in text:
                stream.flush()
        if not chunk:
            break
    stream.flush()
    pipe.close()


def _stop(process):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except OSError:
            return
        try:
            process.wait(KILL_GRACE_S)
            return
        except subprocess.TimeoutExpired:
            continue


def run_shell(cmd, kwargs=None, walltime=None, lines=1000):
    command = fill(cmd, kwargs)
    shell = "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"
    process = subprocess.Popen([shell, "-c", command], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    tails = {"stdout": _Tail(lines), "stderr": _Tail(lines)}
    pumps = [threading.Thread(target=_pump, args=(process.stdout, sys.stdout, tails["stdout"]), daemon=True),
             threading.Thread(target=_pump, args=(process.stderr, sys.stderr, tails["stderr"]), daemon=True)]
    for pump in pumps:
        pump.start()
    try:
        returncode = process.wait(walltime)
    except subprocess.TimeoutExpired:
        _stop(process)
        returncode = WALLTIME_RETURNCODE
    except BaseException:
        _stop(process)
        raise
    for pump in pumps:
        pump.join(KILL_GRACE_S)
    return {"returncode": returncode, "stdout": tails["stdout"].text(), "stderr": tails["stderr"].text(),
            "cmd": command}
