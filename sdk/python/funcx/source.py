"""A Python callable as the source, pickle or import the Executor sends.

Source is preferred: it is readable in the hub, runs on any Python 3 and gives tracebacks with the user's own
line numbers. It is enough for a top-level `def` (in a file or a notebook cell) that has no closure or decorator
and whose globals are modules, importable names, other such functions, or JSON constants. Anything else goes by
cloudpickle or dill when one is installed.
"""

import ast
import builtins
import dis
import inspect
import os
import sys
import sysconfig
import textwrap
import types
import warnings

from . import runtime

_BUILTINS = frozenset(dir(builtins))
_LOAD_GLOBALS = frozenset(("LOAD_GLOBAL", "LOAD_NAME"))
# JSON constants up to this size travel in the source; larger ones make the source "not enough".
MAX_CONSTANT_CHARS = 64 * 1024
_INSTALLED_ROOTS = tuple(
    os.path.realpath(path) + os.sep
    for path in {sysconfig.get_paths().get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    if path
)


class NotEnough(Exception):
    """The source alone would not rebuild this function remotely (says why)."""


def _global_names(code):
    names = set()
    stack = [code]
    while stack:
        current = stack.pop()
        for instruction in dis.get_instructions(current):
            if instruction.opname in _LOAD_GLOBALS:
                names.add(instruction.argval)
        stack.extend(const for const in current.co_consts if isinstance(const, types.CodeType))
    return names


def importable_name(obj):
    """(module, qualname) when `obj` is what `from module import qualname` gives, in an installed module."""
    module_name = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not module_name or not qualname or module_name == "__main__" or "<" in qualname:
        return None
    module = sys.modules.get(module_name)
    if module is None:
        return None
    target = module
    for part in qualname.split("."):
        target = getattr(target, part, None)
    if target is not obj:
        return None
    return module_name, qualname


_distributions = None


def _installed_top_levels():
    global _distributions
    if _distributions is None:
        try:
            import importlib.metadata

            _distributions = frozenset(importlib.metadata.packages_distributions())
        except Exception:  # noqa: BLE001 - Python 3.9, or broken metadata: the paths alone decide
            _distributions = frozenset()
    return _distributions


def is_installed_module(module_name):
    """Whether a module comes with Python or an installed package (so the endpoint has it too, one hopes),
    rather than from a file beside the notebook."""
    top = module_name.split(".")[0]
    module = sys.modules.get(top)
    path = getattr(module, "__file__", None)
    if module is None or path is None:
        return module is not None  # built into the interpreter
    return os.path.realpath(path).startswith(_INSTALLED_ROOTS) or top in _installed_top_levels()


def pickle_local_modules_by_value(objects):
    """cloudpickle pickles what comes from an importable module by reference; a module from a file beside the
    notebook is not on the endpoint, so its functions and classes must travel by value."""
    try:
        import cloudpickle
    except ImportError:
        return
    for obj in objects:
        module_name = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", None)
        if not module_name or module_name in ("__main__", "builtins") or is_installed_module(module_name):
            continue
        module = sys.modules.get(module_name)
        if module is not None and module_name not in _by_value:
            try:
                cloudpickle.register_pickle_by_value(module)
                _by_value.add(module_name)
            except (ValueError, AttributeError):  # an old cloudpickle, or a module it will not take
                pass


_by_value = set()


def _ipython_cell_source(function):
    """The source of a function defined in an IPython cell, from the shell's input history."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    cells = getattr(shell, "user_ns", {}).get("In") or []
    for cell in reversed(cells):
        if "def " + function.__name__ not in cell:
            continue
        try:
            tree = ast.parse(shell.transform_cell(cell))
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function.__name__:
                return ast.get_source_segment(shell.transform_cell(cell), node, padded=True)
    return None


def function_source(function):
    """(source, filename, first line) of a top-level def; NotEnough if there is none."""
    try:
        lines, line = inspect.getsourcelines(function)
        source = "".join(lines)
    except (OSError, TypeError):
        source = _ipython_cell_source(function)
        line = function.__code__.co_firstlineno
        if source is None:
            raise NotEnough("its source is not available") from None
    source = textwrap.dedent(source)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        raise NotEnough("its source does not parse on its own") from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise NotEnough("it is not defined by a def statement of its own")
    node = tree.body[0]
    if node.name != function.__name__:
        raise NotEnough("its source defines %s, not %s" % (node.name, function.__name__))
    if node.decorator_list:
        raise NotEnough("it is decorated")
    return source, function.__code__.co_filename, line


class SourceSpec:
    """What rebuilds a function from source on the worker: imports, constants and def units."""

    def __init__(self, function):
        self.name = function.__name__
        self.imports = []
        self.constants = {}
        self.units = []
        self._seen = set()
        self._add_function(function, top=True)

    def _add_function(self, function, top=False):
        if function in self._seen:
            return
        self._seen.add(function)
        if function.__closure__:
            raise NotEnough("%s uses variables of an enclosing function" % function.__name__)
        if "<locals>" in function.__qualname__:
            raise NotEnough("%s is defined inside another function" % function.__name__)
        source, filename, line = function_source(function)
        namespace = function.__globals__
        for name in sorted(_global_names(function.__code__)):
            if name == function.__name__ and namespace.get(name) is function:
                continue
            if name not in namespace:
                if name in _BUILTINS:
                    continue
                continue  # undefined here too: the remote NameError will say so
            self._add_global(name, namespace[name])
        self.units.append({"filename": filename, "line": line, "source": source})

    def _add_global(self, name, value):
        if isinstance(value, types.ModuleType):
            module = value.__name__
            if module == name:
                self.imports.append("import %s" % module)
            elif "." in module and module.rsplit(".", 1)[1] == name:
                self.imports.append("from %s import %s" % tuple(module.rsplit(".", 1)))
            else:
                self.imports.append("import %s as %s" % (module, name))
            return
        reference = importable_name(value)
        installed = reference is not None and is_installed_module(reference[0])
        if isinstance(value, types.FunctionType) and not installed:
            self._add_function(value)
            return
        if installed and "." not in reference[1]:
            line = "from %s import %s" % reference
            self.imports.append(line if reference[1] == name else line + " as " + name)
            return
        if runtime.is_exact(value) and len(repr(value)) <= MAX_CONSTANT_CHARS:
            self.constants[name] = value
            return
        raise NotEnough("it uses the global %s (a %s)" % (name, type(value).__name__))

    def as_dict(self):
        imports = list(dict.fromkeys(self.imports))
        return {"kind": "source", "name": self.name, "imports": imports, "constants": self.constants,
                "units": self.units}


def describe_callable(function, serializer=None):
    """The `function` part of an entry spec for a callable: {"kind": "source" | "pickle" | "reference", ...}."""
    name = getattr(function, "__name__", None) or type(function).__name__
    if isinstance(function, types.BuiltinFunctionType) or (
        not isinstance(function, types.FunctionType) and importable_name(function) is not None
    ):
        reference = importable_name(function)
        if reference is not None and is_installed_module(reference[0]):
            return {"kind": "reference", "name": name, "module": reference[0], "qualname": reference[1]}
    reason = None
    if isinstance(function, types.FunctionType):
        reference = importable_name(function)
        if reference is not None and is_installed_module(reference[0]):
            return {"kind": "reference", "name": name, "module": reference[0], "qualname": reference[1]}
        try:
            return SourceSpec(function).as_dict()
        except NotEnough as why:
            reason = str(why)
    code_serializer = serializer if serializer in ("cloudpickle", "dill") else runtime.preferred_serializer(code=True)
    if code_serializer is None or runtime.serializer(code_serializer) is None:
        if isinstance(function, types.FunctionType) and reason is not None:
            try:
                source, filename, line = function_source(function)
            except NotEnough:
                source = None
            if source is not None:
                warnings.warn("funcX sends %s as its source although %s; install cloudpickle (or dill) to send it "
                              "pickled" % (name, reason), stacklevel=4)
                return {"kind": "source", "name": name, "imports": [], "constants": {},
                        "units": [{"filename": filename, "line": line, "source": source}]}
        raise runtime.SerializationError(
            "%s cannot be sent: %s, and neither cloudpickle nor dill is installed to pickle it (pip install "
            "cloudpickle)" % (name, reason or "it has no source of its own"))
    if code_serializer == "cloudpickle":
        pickle_local_modules_by_value([function])
    envelope = runtime.pack(function, code_serializer, "the function %s" % name)
    return {"kind": "pickle", "name": name, "envelope": envelope}


def runtime_source():
    with open(runtime.__file__, encoding="utf-8") as file:
        return file.read()


def entry_source(function_spec, result_serializer=None):
    """Python source whose top-level `ENTRY` is the function the worker calls (see runtime.make_entry)."""
    spec = {"function": function_spec, "result_serializer": result_serializer or runtime.preferred_serializer(),
            "client_python": runtime.PYTHON}
    entry = entry_name(function_spec)
    return (
        "# funcX: %s, as funcx.Executor sends it. The runtime below builds it and carries its values.\n"
        "_funcx_runtime = {'__name__': 'funcx_runtime'}\n"
        "exec(compile(%r, '<funcx runtime>', 'exec'), _funcx_runtime)\n"
        "%s = _funcx_runtime['make_entry'](%r, globals())\n"
    ) % (function_spec.get("name"), runtime_source(), entry, spec, )


def entry_name(function_spec):
    name = function_spec.get("name") or "function"
    return name if name.isidentifier() and not name.startswith("_funcx") else "function"
