"""The worker's process: dying with the daemon, a reaper that keeps the task's process tree together, resource
limits set before any user code runs, and the per-task scratch directory."""

import os
import signal
import sys

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option, value):
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except Exception:  # noqa: BLE001 - without prctl the daemon's tree kill still applies
        return False


def die_with_parent():
    """A worker whose daemon died (killed, crashed) must not run on unattended."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _children():
    pid = os.getpid()
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as listing:
            return [int(child) for child in listing.read().split()]
    except OSError:
        found = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % name) as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(name))
        return found


def _kill_children():
    for child in _children():
        try:
            os.kill(child, signal.SIGKILL)
        except OSError:
            pass


def speak_over_stdio():
    """Requests on stdin and replies on stdout become fds 3 and 4; fd 1 then writes to stderr, and stdin reads
    nothing."""
    os.dup2(0, 3)
    os.dup2(1, 4)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)


def _exit_like(status):
    code = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
    if code < 0 and os.getpid() == 1:
        # The init of a PID namespace (a container) cannot be killed by its own signal: it exits the way a shell
        # reports a signal, 128 + N, which the daemon turns back into the signal's name.
        os._exit(128 - code)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code & 0xFF)


def become_reaper():
    """Forks. The parent becomes a child subreaper: processes that user code double-forks or leaves behind are
    re-parented to it rather than to init, so they stay in the tree the daemon kills; it reaps them, and when the
    worker ends it kills whatever is left and exits as the worker did. Returns in the child, which is the worker.
    Under a sandbox with its own PID namespace its init does all this and no reaper is needed."""
    if not _prctl(PR_SET_CHILD_SUBREAPER, 1):
        return
    worker = os.fork()
    if worker == 0:
        die_with_parent()
        return
    for fd in (0, 1, 2, 3, 4):
        try:
            os.close(fd)
        except OSError:
            pass
    forward = lambda signum, _frame: os.kill(worker, signum)  # noqa: E731
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    worker_status = None
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        if pid == worker:
            worker_status = status
        if worker_status is not None:
            _kill_children()
    _exit_like(worker_status if worker_status is not None else 0)


def _own_tasks():
    """Threads and processes this Unix user runs now (what RLIMIT_NPROC counts)."""
    uid = os.getuid()
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat("/proc/" + name).st_uid != uid:
                continue
            with open("/proc/%s/stat" % name) as stat:
                count += int(stat.read().rsplit(")", 1)[1].split()[17])
        except (OSError, ValueError, IndexError):
            continue
    return count


def apply_limits(memory_mb, processes):
    """Soft and hard limits, so user code cannot raise them again. RLIMIT_NPROC counts every thread of the Unix
    user and is ignored for root; the daemon's own process guard covers what it misses."""
    import resource

    if memory_mb:
        limit = memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if processes and os.getuid() != 0 and sys.platform.startswith("linux"):
        limit = processes + _own_tasks()
        _, hard = resource.getrlimit(resource.RLIMIT_NPROC)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))


class TaskDir:
    """The directory each task starts in, fresh for every task. After a task it is checked through an open
    descriptor (one fstat): if anything was created, removed or changed in it, or it was moved, it is replaced by
    a new empty one, so a task never sees what an earlier task left there; an untouched one is kept, which costs
    nothing on the path of quick tasks. The next task starts in it (one fchdir) even if the last one moved away."""

    def __init__(self, scratch):
        self.scratch = scratch
        self.path = os.path.join(scratch, "task")
        self.trash = 0
        self.fd = None
        self.stamp = None
        self.renew()

    def renew(self):
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
        if os.path.lexists(self.path):
            self.trash += 1
            aside = os.path.join(self.scratch, ".old-task-%d" % self.trash)
            os.rename(self.path, aside)
            import shutil

            shutil.rmtree(aside, ignore_errors=True)
        os.mkdir(self.path, 0o700)
        self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        os.set_inheritable(self.fd, False)
        self.stamp = os.fstat(self.fd).st_ctime_ns
        os.fchdir(self.fd)

    def after_task(self, fstat=os.fstat, fchdir=os.fchdir):
        try:
            if fstat(self.fd).st_ctime_ns == self.stamp:
                fchdir(self.fd)
                return
        except OSError:
            pass
        self.renew()
