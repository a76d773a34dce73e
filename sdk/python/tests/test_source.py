"""How a callable travels: its source (with what it uses), a pickle, or an import (funcx.source, no hub)."""

import json as js
import math
import os.path
import types
import unittest
import warnings
from collections import OrderedDict

from funcx import runtime
from funcx import source as sources

SCALE = 3
TABLE = {"a": [1, 2]}


def helper(x):
    return x * SCALE


def uses_everything(x):
    """imports, a from-import, an alias, constants and a helper function"""
    return os.path.join("a", js.dumps(math.floor(helper(x)))), OrderedDict(TABLE)


def recursive(n):
    return 1 if n <= 1 else n * recursive(n - 1)


def decorator(function):
    def wrapper(*args):
        return function(*args) + 1
    return wrapper


@decorator
def decorated(x):
    return x


def with_settings():
    return SETTINGS.retries


SETTINGS = types.SimpleNamespace(retries=3)  # neither a module, a function nor JSON: the source is not enough


def rebuild(spec):
    """The function as a worker rebuilds it, its values as the client gets them."""
    entry = runtime.make_entry({"function": spec, "result_serializer": "pickle"}, {})

    def call(*args):
        value = entry(*args)
        return runtime.from_wire(dict(value)) if isinstance(value, dict) else value
    return call


class SourceIsPreferred(unittest.TestCase):
    def test_a_plain_function_travels_as_its_source_with_the_globals_it_uses(self):
        spec = sources.describe_callable(uses_everything)
        self.assertEqual(spec["kind"], "source")
        self.assertIn("import math", spec["imports"])
        self.assertIn("import os", spec["imports"])
        self.assertIn("import json as js", spec["imports"])
        self.assertIn("from collections import OrderedDict", spec["imports"])
        self.assertEqual(spec["constants"], {"SCALE": 3, "TABLE": {"a": [1, 2]}})
        self.assertEqual([unit["source"].split("(")[0] for unit in spec["units"]],
                         ["def helper", "def uses_everything"])
        self.assertEqual(rebuild(spec)(5), ("a/15", OrderedDict(TABLE)))

    def test_each_unit_keeps_its_file_and_first_line(self):
        spec = sources.describe_callable(recursive)
        unit = spec["units"][0]
        self.assertEqual(unit["filename"], __file__)
        self.assertEqual(unit["line"], recursive.__code__.co_firstlineno)
        self.assertEqual(rebuild(spec)(5), 120)

    def test_a_builtin_or_an_installed_function_travels_as_an_import(self):
        self.assertEqual(sources.describe_callable(math.factorial),
                         {"kind": "reference", "name": "factorial", "module": "math", "qualname": "factorial"})
        self.assertEqual(sources.describe_callable(os.path.join)["kind"], "reference")
        self.assertEqual(rebuild(sources.describe_callable(math.factorial))(5), 120)


class PickleWhenSourceIsNotEnough(unittest.TestCase):
    def assert_pickled(self, function):
        spec = sources.describe_callable(function, "cloudpickle")
        self.assertEqual(spec["kind"], "pickle")
        self.assertEqual(spec["envelope"]["serializer"], "cloudpickle")
        return spec

    @unittest.skipUnless(runtime.serializer("cloudpickle"), "cloudpickle is not installed")
    def test_lambdas_closures_decorated_functions_and_unportable_globals_are_pickled(self):
        offset = 4
        self.assertEqual(rebuild(self.assert_pickled(lambda x: x + offset))(1), 5)

        def inner(x):
            return x + offset
        self.assertEqual(rebuild(self.assert_pickled(inner))(1), 5)
        self.assertEqual(rebuild(self.assert_pickled(decorated))(1), 2)
        self.assertEqual(rebuild(self.assert_pickled(with_settings))(), 3)

    @unittest.skipUnless(runtime.serializer("dill"), "dill is not installed")
    def test_dill_when_asked_for(self):
        spec = sources.describe_callable(lambda: 7, "dill")
        self.assertEqual(spec["envelope"]["serializer"], "dill")
        self.assertEqual(rebuild(spec)(), 7)

    def test_without_cloudpickle_or_dill_a_lambda_is_refused_and_a_def_goes_as_source_with_a_warning(self):
        original = runtime.serializer
        runtime.serializer = lambda name: original(name) if name == "pickle" else None
        try:
            with self.assertRaises(runtime.SerializationError) as caught:
                sources.describe_callable(lambda: 1)
            self.assertIn("neither cloudpickle nor dill is installed", str(caught.exception))
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                spec = sources.describe_callable(with_settings)
            self.assertEqual(spec["kind"], "source")
            self.assertIn("it uses the global SETTINGS", str(seen[0].message))
        finally:
            runtime.serializer = original


class GeneratedEntry(unittest.TestCase):
    def test_the_entry_source_runs_in_a_namespace_like_the_workers(self):
        """the generated source defines the entrypoint, built by the runtime it carries"""
        spec = sources.describe_callable(helper)
        source = sources.entry_source(spec, "pickle")
        namespace = {"__name__": "__main__", "display": print}
        exec(compile(source, "<function helper>", "exec"), namespace)
        self.assertEqual(namespace["helper"](2), 6)
        self.assertEqual(sources.entry_name({"name": "<lambda>"}), "function")


if __name__ == "__main__":
    unittest.main()
