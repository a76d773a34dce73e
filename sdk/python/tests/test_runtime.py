"""What travels as JSON and what travels pickled, and what a mismatch says (funcx.runtime, no hub needed)."""

import base64
import pickle
import unittest

from funcx import runtime


class JsonExactness(unittest.TestCase):
    def test_json_that_comes_back_as_it_went_is_exact(self):
        """strings, booleans, None, safe integers, fractional floats, lists and str-keyed dicts go as JSON"""
        for value in ("text", "lone \ud800 surrogate", True, None, 0, -(2 ** 53 - 1), 2.5, [1, [2, {"a": None}]],
                      {"name": "x", "b": [1.25]}):
            self.assertTrue(runtime.is_exact(value), value)

    def test_values_json_would_change_are_not_exact(self):
        """tuples, sets, big integers, integral floats, -0.0, nan and index-like keys would come back different"""
        for value in ((1, 2), {1, 2}, 2 ** 53, 2.0, -0.0, float("nan"), float("inf"), {"1": "a", "b": 2},
                      {1: "a"}, b"bytes", [(1,)], {"__funcx_pickled__": 1}, True and object()):
            self.assertFalse(runtime.is_exact(value), repr(value))

    def test_a_value_nested_deeper_than_the_hub_accepts_is_not_exact(self):
        """nesting past MAX_DEPTH travels pickled instead of being refused by the hub"""
        value = 1
        for _ in range(runtime.MAX_DEPTH + 1):
            value = [value]
        self.assertFalse(runtime.is_exact(value))


class Envelopes(unittest.TestCase):
    def test_a_packed_value_shows_its_repr_and_unpacks_to_an_equal_value(self):
        """to_wire packs what JSON cannot carry, with the value's repr as its text; from_wire gives it back"""
        value = {"pair": (1, 2), "set": {3}}
        wire = runtime.to_wire(value, "pickle")
        self.assertEqual(repr(wire), repr(value))
        self.assertEqual(set(wire), {runtime.ENVELOPE_KEY})
        self.assertEqual(runtime.from_wire(dict(wire)), value)
        self.assertEqual(runtime.to_wire([1, "a"]), [1, "a"])

    def test_the_envelope_names_serializer_version_and_python(self):
        envelope = runtime.pack((1,), "pickle")
        self.assertEqual(envelope["serializer"], "pickle")
        self.assertEqual(envelope["python"], runtime.PYTHON)
        self.assertEqual(envelope["version"], "protocol %d" % runtime.PICKLE_PROTOCOL)

    def test_pickled_code_from_another_python_minor_version_is_refused_naming_both(self):
        """a function pickled on Python 3.9 is not loaded on another minor version: the error names both"""
        envelope = dict(runtime.pack(len, "pickle"), python="3.9.18")
        with self.assertRaises(runtime.VersionMismatchError) as caught:
            runtime.unpack(envelope, "the function f", code=True)
        message = str(caught.exception)
        self.assertIn("Python 3.9.18", message)
        self.assertIn("Python %s" % runtime.PYTHON, message)

    def test_data_that_fails_to_load_under_another_serializer_version_names_the_versions(self):
        envelope = {"serializer": "pickle", "version": "protocol 9", "python": runtime.PYTHON,
                    "data": base64.b64encode(b"not a pickle").decode()}
        with self.assertRaises(runtime.VersionMismatchError) as caught:
            runtime.unpack(envelope, "the value of task t")
        self.assertIn("pickle protocol 9", str(caught.exception))
        self.assertIn("pickle protocol %d" % runtime.PICKLE_PROTOCOL, str(caught.exception))

    def test_a_serializer_that_is_not_installed_is_named_with_its_version(self):
        envelope = {"serializer": "cloudpickle", "version": "9.9.9", "python": runtime.PYTHON,
                    "data": base64.b64encode(pickle.dumps(1)).decode()}
        original = runtime.serializer
        runtime.serializer = lambda name: None if name == "cloudpickle" else original(name)
        try:
            with self.assertRaises(runtime.SerializationError) as caught:
                runtime.unpack(envelope, "the value")
        finally:
            runtime.serializer = original
        self.assertIn("install cloudpickle==9.9.9", str(caught.exception))

    def test_a_value_that_cannot_be_pickled_says_which_and_by_what(self):
        import threading

        with self.assertRaises(runtime.SerializationError) as caught:
            runtime.pack(threading.Lock(), "pickle", "the value of f")
        self.assertIn("the value of f (lock) could not be pickled by pickle", str(caught.exception))


class Entries(unittest.TestCase):
    def test_an_entry_from_source_calls_the_function_with_json_or_pickled_arguments(self):
        spec = {"function": {"kind": "source", "name": "add", "imports": ["import math"], "constants": {"K": 10},
                             "units": [{"filename": "<test>", "line": 3,
                                        "source": "def add(a, b=0):\n    return math.floor(a + b) + K\n"}]},
                "result_serializer": "pickle"}
        entry = runtime.make_entry(spec, {})
        self.assertEqual(entry(1, b=2.5), 13)
        packed = runtime.pack([(1,), {"b": 1}], "pickle")
        self.assertEqual(entry(**{runtime.ARGS_KEY: packed}), 12)
        chunk = entry(**{runtime.MAP_KEY: [[1], [2]]})
        self.assertEqual(chunk, [11, 12])

    def test_source_keeps_its_own_line_numbers_in_tracebacks(self):
        import traceback

        spec = {"function": {"kind": "source", "name": "f", "imports": [], "constants": {},
                             "units": [{"filename": "/work/analysis.py", "line": 41,
                                        "source": "def f():\n    return 1 / 0\n"}]}}
        entry = runtime.make_entry(spec, {})
        try:
            entry()
        except ZeroDivisionError:
            text = traceback.format_exc()
        self.assertIn('File "/work/analysis.py", line 42, in f', text)
        self.assertIn("return 1 / 0", text)

    def test_a_coroutine_function_is_awaited(self):
        spec = {"function": {"kind": "source", "name": "f", "imports": [], "constants": {},
                             "units": [{"filename": "<t>", "line": 1, "source": "async def f(x):\n    return x + 1\n"}]}}
        self.assertEqual(runtime.make_entry(spec, {})(1), 2)


if __name__ == "__main__":
    unittest.main()
