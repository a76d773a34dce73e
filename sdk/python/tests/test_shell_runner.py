"""The shell runner every shell task runs, run here (funcx.shell_runner, no hub)."""

import io
import sys
import time
import unittest

from funcx import ShellFunction
from funcx.shell_runner import run_shell


class ShellRunner(unittest.TestCase):
    def setUp(self):
        self.out, self.err = io.StringIO(), io.StringIO()
        self.saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = self.out, self.err

    def tearDown(self):
        sys.stdout, sys.stderr = self.saved

    def test_fields_are_shell_quoted_so_a_value_cannot_inject_a_command(self):
        result = run_shell("printf '%s\\n' {word}", {"word": "a b; echo injected"})
        self.assertEqual(result["returncode"], 0)
        self.assertEqual(result["stdout"], "a b; echo injected\n")
        self.assertEqual(result["cmd"], "printf '%s\\n' 'a b; echo injected'")

    def test_both_streams_are_written_through_and_the_result_keeps_their_last_lines(self):
        result = run_shell("seq 1 5; echo oops >&2; exit 3", lines=2)
        self.assertEqual(result["returncode"], 3)
        self.assertEqual(result["stdout"], "4\n5\n")
        self.assertEqual(result["stderr"], "oops\n")
        self.assertEqual(self.out.getvalue(), "1\n2\n3\n4\n5\n")
        self.assertEqual(self.err.getvalue(), "oops\n")

    def test_a_command_past_its_walltime_is_stopped_with_return_code_124(self):
        started = time.monotonic()
        result = run_shell("echo begun; sleep 30; echo never", walltime=0.5)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(result["returncode"], 124)
        self.assertEqual(result["stdout"], "begun\n")

    def test_a_template_without_kwargs_keeps_its_braces(self):
        self.assertEqual(run_shell("echo '{}'")["stdout"], "{}\n")

    def test_a_shell_function_refuses_a_template_its_fields_do_not_fill(self):
        with self.assertRaises(KeyError):
            ShellFunction("tar czf {out} {src}").task_kwargs({"out": "a.tgz"})
        result = ShellFunction("echo {x}")(x="local run")
        self.assertEqual((result.returncode, result.stdout), (0, "local run\n"))


if __name__ == "__main__":
    unittest.main()
