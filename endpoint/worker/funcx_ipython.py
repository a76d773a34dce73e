"""IPython's display() in the worker: code written for Jupyter shows its rich output here too.

Outside a running IPython shell, IPython.display.display() only prints each object's repr
("<IPython.core.display.HTML object>"). When user code imports it, the worker's own display() takes its place,
so HTML, images and the rest arrive as display outputs, as in a notebook. Without IPython installed nothing
changes: the worker's display() is the one in every task's namespace. Only the standard library is used.
"""

import importlib.abc
import importlib.machinery
import sys

# Where IPython defines display(): display_functions since IPython 7.23, core.display before (and re-exported).
_MODULES = ("IPython.core.display_functions", "IPython.core.display")


def _replace_display(module, display):
    if callable(getattr(module, "display", None)):
        module.display = display


class _DisplayLoader(importlib.abc.Loader):
    """Loads the module as usual, then puts the worker's display() in it."""

    def __init__(self, loader, display):
        self._loader = loader
        self._display = display

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _replace_display(module, self._display)


class _DisplayFinder(importlib.abc.MetaPathFinder):
    def __init__(self, display):
        self._display = display

    def find_spec(self, name, path, target=None):
        if name not in _MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _DisplayLoader(spec.loader, self._display)
        return spec


def route_ipython_display(display):
    """Makes IPython's display() (imported now or later) call `display`."""
    for name in _MODULES:
        module = sys.modules.get(name)
        if module is not None:
            _replace_display(module, display)
    sys.meta_path.insert(0, _DisplayFinder(display))
