"""The first line of a %%funcx cell, read as JupyterLab's extension reads it (funcx.cell_line, no hub)."""

import unittest

from funcx.cell_line import MagicError, describe_endpoints, is_routed, parse_cell_line, target


class FirstLine(unittest.TestCase):
    def test_an_endpoint_a_group_or_a_list_with_a_policy_and_a_timeout(self):
        options = parse_cell_line("group:gpus --policy least-loaded --timeout=2.5")
        self.assertEqual((options.endpoint, options.policy, options.timeout_s), ("group:gpus", "least-loaded", 2.5))
        self.assertEqual(target("a,bob/b"), ["a", "bob/b"])
        self.assertTrue(is_routed("a,b") and is_routed("group:x") and not is_routed("local"))
        self.assertEqual(parse_cell_line("").endpoint, None)

    def test_a_session_a_value_to_keep_and_async_as_jupyterlab_reads_them(self):
        options = parse_cell_line("local --session analysis -o mean --async")
        self.assertEqual((options.session, options.output, options.run_async), ("analysis", "mean", True))
        self.assertEqual(parse_cell_line("--session=run-7.b --output=x local").session, "run-7.b")
        self.assertEqual(parse_cell_line("local").session, None)

    def test_the_kernels_own_options(self):
        options = parse_cell_line("local --shell --no-stream --timeout 60")
        self.assertEqual((options.shell, options.stream, options.timeout_s), (True, False, 60))

    def test_each_refusal_says_what_to_change_in_the_extensions_words(self):
        cases = {
            "local --colour red": 'Unknown option --colour: the first line reads "%%funcx [ENDPOINT | group:NAME | '
                                  'A,B] [--policy NAME] [--timeout SECONDS] [--session NAME] [--async] [-o NAME]"',
            "local --session two/parts": '--session needs a session name, e.g. "%%funcx local --session analysis" '
                                         '(got "two/parts"): use 1 to 64 letters',
            "local --session": '--session needs a session name',
            "local -o 1st": '-o needs a Python name to store the value under, e.g. "%%funcx local -o mean" (got "1st")',
            "local --output": '--output needs a Python name to store the value under',
            "local --timeout 0": '--timeout needs a number of seconds above 0, e.g. "%%funcx local --timeout 60" '
                                 '(got "0")',
            "local --policy fastest": "--policy needs one of random, round-robin, least-loaded, warming-aware",
            "a,,b": '"a,,b" has an empty endpoint',
            "a,group:x": '"group:x" is an endpoint group: name a group alone ("%%funcx group:x")',
            "group:bad/na me": "One endpoint, group or comma-separated list per cell",
            "group:a/b/c": '"group:a/b/c" is not an endpoint group',
            "one two": '(got "two" after "one")',
        }
        for line, message in cases.items():
            with self.assertRaises(MagicError, msg=line) as caught:
                parse_cell_line(line)
            self.assertIn(message, str(caught.exception), line)

    def test_endpoints_are_described_as_the_extension_describes_them(self):
        views = [{"name": "local", "site": "Argonne", "status": {"online": True, "workers_total": 2, "workers_busy": 2}},
                 {"name": "cloud", "status": {"online": False}}]
        self.assertEqual(describe_endpoints(views), "Endpoints you can use: local (busy, Argonne), cloud (offline).")
        self.assertIn("funcx-endpoint configure NAME", describe_endpoints([]))


if __name__ == "__main__":
    unittest.main()
