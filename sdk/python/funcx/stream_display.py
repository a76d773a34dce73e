"""A generator task's items in a %%funcx cell, as they arrive: one display kept to the latest items and updated
a few times a second, as JupyterLab's extension shows them (extension/src/stream-items-view.ts)."""

import time

from . import store

# Items a cell shows of a stream: the latest ones, with a line that counts those left out before them.
KEPT = 1000
# Least time between two updates of the display while items arrive.
UPDATE_S = 0.2


def item_text(item):
    if store.is_reference(item):
        return "<funcx data reference: %s, %s; fetch it with funcx.store.get(ref)>" % (
            store.format_size(item["size"]), item["$ref"])
    return repr(item)


def stopped_text(error, shown):
    """The stderr line a cell ends its stream with when the rest of it cannot be read."""
    return "Stopped reading the task's items (%s: %s); the %d item%s above %s all that was read.\n" % (
        error.code, error.message, shown, "" if shown == 1 else "s", "is" if shown == 1 else "are")


class StreamDisplay:
    def __init__(self):
        self.reset()

    def reset(self):
        """What comes next starts a new display (the task was handed out again)."""
        self.lines = []
        self.count = 0
        self._handle = None
        self._dirty = False
        self._last = 0.0

    def add(self, items):
        self.lines.extend(item_text(item) for item in items)
        self.count += len(items)
        if len(self.lines) > 2 * KEPT:
            del self.lines[:-KEPT]
        self._dirty = True
        if self._handle is None or time.monotonic() - self._last >= UPDATE_S:
            self.flush()

    def due(self):
        """Whether items wait to be shown (the cell calls flush() when it has nothing else to do)."""
        return self._dirty and time.monotonic() - self._last >= UPDATE_S

    def flush(self):
        if not self._dirty:
            return
        from IPython.display import display

        self._dirty = False
        self._last = time.monotonic()
        lines = self.lines[-KEPT:]
        left = self.count - len(lines)
        head = ["… {:,} earlier items not shown (the cell keeps the last {:,})".format(left, KEPT)] if left else []
        bundle = {"text/plain": "\n".join(head + lines)}
        metadata = {"funcx": {"stream": True}}
        if self._handle is None:
            self._handle = display(bundle, raw=True, metadata=metadata, display_id=True)
        else:
            self._handle.update(bundle, raw=True, metadata=metadata)
