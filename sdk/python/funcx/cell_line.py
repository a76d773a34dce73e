"""The first line of a `%%funcx` cell, read as JupyterLab's extension reads it (extension/src/magic.ts), plus the
kernel's own options: `%%funcx [ENDPOINT | group:NAME | A,B] [--policy NAME] [--timeout S] [--session NAME]
[--async] [-o NAME] [--no-stream] [--shell]`."""

import re

USAGE = ("%%funcx [ENDPOINT | group:NAME | A,B] [--policy NAME] [--timeout SECONDS] [--session NAME] [--async] "
         "[-o NAME] [--no-stream] [--shell]")
# What an error says the first line reads: the extension's words, so that a line both refuse reads the same in
# JupyterLab and in a kernel (--no-stream and --shell are the kernel's alone; JupyterLab refuses them).
FORM = '"%%funcx [ENDPOINT | group:NAME | A,B] [--policy NAME] [--timeout SECONDS] [--session NAME] [--async] [-o NAME]"'
# protocol/src/routing.ts and names.ts
POLICY_NAMES = ("random", "round-robin", "least-loaded", "warming-aware")
GROUP_PREFIX = "group:"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SESSION = re.compile(r"[A-Za-z0-9][-A-Za-z0-9._]{0,63}")
SESSION_RULE = 'use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit'
_PYTHON_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class MagicError(Exception):
    pass


class CellOptions:
    def __init__(self):
        self.endpoint = None
        self.policy = None
        self.timeout_s = None
        self.session = None
        # --async: in JupyterLab the cell runs beside the others; a kernel runs its cells one after another anyway.
        self.run_async = False
        self.output = None
        self.stream = True
        self.shell = False


def is_routed(written):
    """Whether the hub chooses where the cell runs (an endpoint group, or several endpoints)."""
    return written.startswith(GROUP_PREFIX) or "," in written


def target(written):
    """The submission's `endpoint` for what the first line names: several endpoints as a list."""
    return written.split(",") if "," in written else written


def _group_problem(ref):
    rest = ref[len(GROUP_PREFIX):]
    if _UUID.match(rest):
        return None
    owner, _, name = rest.partition("/") if "/" in rest else (None, "", rest)
    if owner is not None and not _USER.match(owner):
        return ('"%s" names no owner before the "/": write group:NAME, or group:OWNER/NAME for a group shared with '
                'you' % ref)
    if not _GROUP.match(name):
        return ('"%s" is not an endpoint group: write group:NAME (letters, digits, "_", "." or "-"), or '
                'group:OWNER/NAME for one shared with you' % ref)
    return None


def _target_problem(word):
    if word.startswith(GROUP_PREFIX):
        return _group_problem(word)
    if "," not in word:
        return None
    parts = word.split(",")
    if "" in parts:
        return '"%s" has an empty endpoint: separate endpoints with single commas, no spaces ("a,b")' % word
    group = next((part for part in parts if part.startswith(GROUP_PREFIX)), None)
    if group:
        return '"%s" is an endpoint group: name a group alone ("%%%%funcx %s"), or list its endpoints' % (group, group)
    return None


def parse_cell_line(line):
    """The options of a `%%funcx` first line (without `%%funcx`); MagicError says what to change."""
    options = CellOptions()
    words = line.split()
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("--policy", "--timeout", "--session") or word.startswith(("--policy=", "--timeout=", "--session=")):
            name, _, value = word.partition("=")
            if not _:
                i += 1
                value = words[i] if i < len(words) else ""
            if name == "--policy":
                if value not in POLICY_NAMES:
                    raise MagicError('--policy needs one of %s, e.g. "%%%%funcx group:gpus --policy least-loaded" '
                                     '(got "%s")' % (", ".join(POLICY_NAMES), value))
                options.policy = value
            elif name == "--session":
                options.session = session_name(value)
            else:
                options.timeout_s = _seconds(value)
        elif word == "--async":
            options.run_async = True
        elif word in ("-o", "--output") or word.startswith("--output="):
            name, _, value = word.partition("=")
            if not _:
                i += 1
                value = words[i] if i < len(words) else ""
            if not _PYTHON_NAME.fullmatch(value):
                raise MagicError('%s needs a Python name to store the value under, e.g. "%%%%funcx local -o mean" '
                                 '(got "%s")' % (name, value))
            options.output = value
        elif word == "--no-stream":
            options.stream = False
        elif word == "--shell":
            options.shell = True
        elif word.startswith("-"):
            raise MagicError("Unknown option %s: the first line reads %s" % (word, FORM))
        elif options.endpoint is None:
            problem = _target_problem(word)
            if problem:
                raise MagicError("%s; the first line reads %s" % (problem, FORM))
            options.endpoint = word
        else:
            raise MagicError('One endpoint, group or comma-separated list per cell: the first line reads %s (got "%s" '
                             'after "%s")' % (FORM, word, options.endpoint))
        i += 1
    return options


def session_name(value):
    """A session name as the first line gives it; MagicError in the extension's words when it cannot be one."""
    if not _SESSION.fullmatch(value):
        raise MagicError('--session needs a session name, e.g. "%%%%funcx local --session analysis" (got "%s"): %s'
                         % (value, SESSION_RULE))
    return value


def _seconds(value):
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not value or not seconds > 0 or seconds == float("inf"):
        raise MagicError('--timeout needs a number of seconds above 0, e.g. "%%%%funcx local --timeout 60" (got "%s")'
                         % value)
    return int(seconds) if seconds == int(seconds) else seconds


def endpoint_status(view):
    status = view.get("status") or {}
    if not status.get("online"):
        return "offline"
    total = status.get("workers_total", 0)
    return "busy" if total > 0 and status.get("workers_busy", 0) >= total else "online"


def describe_endpoints(views):
    """"Endpoints you can use: local (online, Argonne), …", as the extension says it."""
    if not views:
        return ("You have no endpoints yet: create one with `funcx-endpoint configure NAME` then "
                "`funcx-endpoint start NAME`.")
    items = ["%s (%s%s)" % (view["name"], endpoint_status(view), ", " + view["site"] if view.get("site") else "")
             for view in views]
    return "Endpoints you can use: %s." % ", ".join(items)
