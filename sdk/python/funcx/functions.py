"""The functions an Executor runs, as the hub knows them: each callable's generated entry (registered once per
client), the shell runner, and functions registered by anyone, by id."""

import weakref

from . import source as sources
from .errors import FuncxError
from .shell import ENTRYPOINT as SHELL_ENTRYPOINT
from .shell import ShellResult, runner_source

# Seconds a shell task may run past its walltime before the endpoint stops it (the runner stops it first).
SHELL_TIMEOUT_MARGIN_S = 15.0


class RemoteFunction:
    """A function the hub runs: registered once (by the sender's thread, when its first task goes), then
    named by id. `entry` says its tasks run funcx.runtime's entry (their values are envelopes)."""

    __slots__ = ("register", "function_id", "error", "entry", "convert", "return_pickle", "timeout")

    def __init__(self, register, entry=True, convert=None, return_pickle=False, timeout=None):
        self.register = register
        self.function_id = None
        self.error = None
        self.entry = entry
        self.convert = convert
        self.return_pickle = return_pickle
        self.timeout = timeout

    def resolve(self):
        """Registers the function unless that was done (or failed) already."""
        if self.function_id is None and self.error is None:
            try:
                self.function_id = self.register()
            except FuncxError as error:
                self.error = error


class FunctionCache:
    def __init__(self, client, serializer, timeout):
        self.client = client
        self.serializer = serializer
        self.timeout = timeout
        self._by_callable = weakref.WeakKeyDictionary()
        self._by_source = {}
        self._global_names = {}

    def for_callable(self, fn):
        """A callable's function: prepared again only when the globals it uses are other objects than before."""
        fingerprint = self._fingerprint(fn)
        try:
            cached = self._by_callable.get(fn)
        except TypeError:
            cached = None
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        spec = sources.describe_callable(fn, self.serializer)
        source = sources.entry_source(spec, self.serializer)
        function = self._by_source.get(source)
        if function is None:
            entrypoint = sources.entry_name(spec)
            name = spec["name"] if spec["name"].isidentifier() else "function"
            function = self._by_source[source] = RemoteFunction(
                self._registration(source, name, entrypoint, "sent by funcx.Executor"), timeout=self.timeout)
        try:
            self._by_callable[fn] = (fingerprint, function)
        except TypeError:
            pass  # not weakly referenceable: prepared again next time
        return function

    def for_shell(self, shell):
        timeout = self.timeout
        if shell.walltime is not None:
            timeout = max(timeout or 0, shell.walltime + SHELL_TIMEOUT_MARGIN_S)
        key = ("shell", timeout)
        function = self._by_source.get(key)
        if function is None:
            register = self._registration(runner_source(), "shell", SHELL_ENTRYPOINT, "funcx.ShellFunction")
            function = self._by_source[key] = RemoteFunction(register, entry=False, convert=ShellResult,
                                                             timeout=timeout)
        return function

    def registered(self, function_id):
        key = ("registered", function_id)
        function = self._by_source.get(key)
        if function is None:
            function = self._by_source[key] = RemoteFunction(lambda: function_id, entry=False, return_pickle=True,
                                                             timeout=self.timeout)
        return function

    def _registration(self, source, name, entrypoint, description):
        client = self.client

        def register():
            return client._registered_id(source, lambda: client.register_function(
                source, name=name, entrypoint=entrypoint, description=description))

        return register

    def _fingerprint(self, fn):
        code = getattr(fn, "__code__", None)
        if code is None:
            return None
        names = self._global_names.get(code)
        if names is None:
            names = self._global_names[code] = tuple(sorted(sources._global_names(code)))
        namespace = getattr(fn, "__globals__", {})
        cells = tuple(id(cell.cell_contents) for cell in fn.__closure__ or ())
        return (code, cells, tuple(id(namespace.get(name)) for name in names), id(fn.__defaults__))
