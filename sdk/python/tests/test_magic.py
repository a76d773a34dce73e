"""%%funcx and %funcx in a real kernel: notebooks executed by `jupyter nbconvert --execute` (the project's kernel
loads the extension by itself), and a kernel driven message by message for live output and Ctrl-C."""

import json
import os
import queue
import subprocess
import sys
import tempfile
import time
import unittest

from support import ENDPOINT, OFFLINE_ENDPOINT, HubTestCase, needs_hub, wait_until

try:
    import nbformat
    from jupyter_client.manager import start_new_kernel
except ImportError:  # the project's .venv has them; a bare Python does not
    nbformat = None

JUPYTER = os.path.join(os.path.dirname(sys.executable), "jupyter")


def code(source, **metadata):
    return nbformat.v4.new_code_cell(source, metadata=metadata)


def execute(cells, timeout=180):
    """Runs `jupyter nbconvert --to notebook --execute` on a notebook of these cells; returns its cells."""
    directory = tempfile.mkdtemp(prefix="funcx-nb-")
    path = os.path.join(directory, "run.ipynb")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    nbformat.write(notebook, path)
    run = subprocess.run([JUPYTER, "nbconvert", "--to", "notebook", "--execute", path, "--output", "run.out.ipynb",
                          "--ExecutePreprocessor.timeout=%d" % timeout], capture_output=True, text=True,
                         timeout=timeout + 60, cwd=directory)
    if run.returncode != 0:
        raise AssertionError("nbconvert failed (%d):\n%s" % (run.returncode, run.stderr[-4000:]))
    return nbformat.read(os.path.join(directory, "run.out.ipynb"), 4).cells


def texts(outputs, name):
    return "".join(o["text"] for o in outputs if o["output_type"] == "stream" and o["name"] == name)


def kinds(outputs):
    return [o["output_type"] if o["output_type"] != "stream" else o["name"] for o in outputs]


@needs_hub
@unittest.skipIf(nbformat is None, "needs nbformat and jupyter_client (the project's .venv)")
class NotebookCells(HubTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cells = execute([
            code("%%%%funcx %s\nimport sys\nprint('hello from', 'the endpoint')\nprint('to stderr', file=sys.stderr)"
                 "\nprint('back on stdout')\n6 * 7" % ENDPOINT),
            code("%%%%funcx %s\nimport matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nplt.show()" % ENDPOINT),
            code("%%%%funcx %s\nclass Bold:\n    def _repr_html_(self):\n        return '<b>bold</b>'\n"
                 "    def __repr__(self):\n        return 'Bold()'\ndisplay(Bold())\nBold()" % ENDPOINT),
            code("%%%%funcx %s\ndef mean(xs):\n    return sum(xs) / len(xs)\n\nmean([])" % ENDPOINT,
                 tags=["raises-exception"]),
            code("%%%%funcx %s\nx = 1" % ENDPOINT),
            code("%%%%funcx %s --no-stream\nprint('held back')\n'done'" % ENDPOINT),
            code("%%%%funcx %s --timeout 1\nimport time\ntime.sleep(30)" % ENDPOINT, tags=["raises-exception"]),
            code("%%%%funcx %s --shell\necho hi from $0\nls /definitely-missing 2>&1 | head -1 >&2\nexit 3" % ENDPOINT,
                 tags=["raises-exception"]),
            code("%%%%funcx %s --shell\necho fine" % ENDPOINT),
            code("%%funcx nowhere\n1", tags=["raises-exception"]),
            code("%%%%funcx %s --colour red\n1" % ENDPOINT, tags=["raises-exception"]),
            code("%funcx use " + ENDPOINT),
            code("%%funcx\n'on the default endpoint'"),
            code("%funcx endpoints"),
            code("local_value = 5\nlocal_value * 2"),
            code("%%%%funcx %s -o stored --async\n{'pair': (1, 2)}" % ENDPOINT),
            code("stored['pair']"),
            code("%%%%funcx %s\n({'step': i} for i in range(3000))" % ENDPOINT),
            code("%%%%funcx %s\ndef steps():\n    yield 'one'\n    yield 'two'\n    raise ValueError('half way')\n\nsteps()"
                 % ENDPOINT, tags=["raises-exception"]),
        ])

    def test_prints_stream_into_the_cell_in_order_and_the_last_expression_is_its_result(self):
        outputs = self.cells[0].outputs
        self.assertEqual(kinds(outputs), ["stdout", "stderr", "stdout", "display_data", "execute_result"])
        self.assertEqual(texts(outputs, "stdout"), "hello from the endpoint\nback on stdout\n")
        self.assertEqual(texts(outputs, "stderr"), "to stderr\n")
        self.assertEqual(outputs[-1]["data"], {"text/plain": "42"})

    def test_the_first_cell_says_each_cell_runs_in_a_fresh_namespace_as_jupyterlab_does(self):
        note = self.cells[0].outputs[3]
        self.assertEqual(note["metadata"], {"funcx": {"note": "fresh-namespace"}})
        self.assertIn("each %%funcx cell runs in a fresh namespace", note["data"]["text/plain"])
        self.assertIn('"--session NAME" runs cells in one namespace that lasts', note["data"]["text/plain"])
        notes = [o for cell in self.cells[1:] for o in cell.outputs if o.get("metadata", {}).get("funcx", {}).get("note")]
        self.assertEqual(notes, [], "once per notebook")

    def test_a_matplotlib_figure_is_a_png_display(self):
        (display,) = self.cells[1].outputs
        self.assertEqual(display["output_type"], "display_data")
        self.assertTrue(display["data"]["image/png"].startswith("iVBOR"))
        self.assertIn("width", display["metadata"]["image/png"])

    def test_rich_displays_and_results_keep_their_html(self):
        shown, result = self.cells[2].outputs
        self.assertEqual(shown["data"], {"text/plain": "Bold()", "text/html": "<b>bold</b>"})
        self.assertEqual(result["output_type"], "execute_result")
        self.assertEqual(result["data"], {"text/plain": "Bold()", "text/html": "<b>bold</b>"})

    def test_a_remote_exception_is_an_error_output_with_the_cells_own_line_numbers(self):
        (error,) = self.cells[3].outputs
        self.assertEqual((error["output_type"], error["ename"], error["evalue"]),
                         ("error", "ZeroDivisionError", "division by zero"))
        # The %%funcx line counts: line N is line N of the cell, as the editor numbers it.
        self.assertIn('  File "<cell>", line 3, in mean', error["traceback"])
        self.assertIn('  File "<cell>", line 5, in <module>', error["traceback"])

    def test_a_cell_without_a_value_has_no_result(self):
        self.assertEqual(self.cells[4].outputs, [])

    def test_no_stream_shows_the_output_at_the_end(self):
        self.assertEqual(kinds(self.cells[5].outputs), ["stdout", "execute_result"])
        self.assertEqual(texts(self.cells[5].outputs, "stdout"), "held back\n")

    def test_timeout_stops_the_task_on_its_endpoint(self):
        (error,) = self.cells[6].outputs
        self.assertEqual(error["output_type"], "error")
        self.assertIn("timed out after 1 s", error["evalue"])

    def test_shell_cells_stream_their_output_and_a_failing_command_is_an_error(self):
        failing, fine = self.cells[7].outputs, self.cells[8].outputs
        self.assertEqual(texts(failing, "stdout"), "hi from /bin/bash\n")
        self.assertIn("definitely-missing", texts(failing, "stderr"))
        self.assertEqual(failing[-1]["ename"], "ShellCommandFailed")
        self.assertIn("return code 3", failing[-1]["evalue"])
        self.assertEqual(fine, [nbformat.v4.new_output("stream", name="stdout", text="fine\n")])

    def test_an_unknown_endpoint_lists_the_endpoints_you_can_use(self):
        (error,) = self.cells[9].outputs
        self.assertEqual(error["ename"], "EndpointNotFound")
        self.assertIn('No endpoint named "nowhere". Endpoints you can use: ', error["evalue"])
        # Online, or busy while another test's task or session holds its workers: listed with its state either way.
        self.assertRegex(error["evalue"], r"%s \((online|busy)" % ENDPOINT)

    def test_an_unknown_option_says_what_the_first_line_reads(self):
        (error,) = self.cells[10].outputs
        self.assertEqual(error["ename"], "FuncxMagicError")
        self.assertIn("Unknown option --colour", error["evalue"])
        self.assertEqual(error["traceback"], ["\x1b[0;31mFuncxMagicError\x1b[0m: " + error["evalue"]])

    def test_funcx_use_sets_the_endpoint_of_cells_that_name_none(self):
        self.assertIn("now run on %s" % ENDPOINT, texts(self.cells[11].outputs, "stdout"))
        self.assertEqual(self.cells[12].outputs[0]["data"], {"text/plain": "'on the default endpoint'"})

    def test_funcx_endpoints_prints_the_table(self):
        table = texts(self.cells[13].outputs, "stdout")
        self.assertTrue(table.startswith("NAME"))
        self.assertIn(ENDPOINT, table)

    def test_o_name_keeps_the_value_in_the_kernel_and_async_is_read_as_jupyterlab_reads_it(self):
        self.assertEqual(self.cells[15].outputs[0]["data"], {"text/plain": "{'pair': (1, 2)}"})
        self.assertEqual(self.cells[16].outputs[0]["data"], {"text/plain": "(1, 2)"}, "unpickled: a tuple")

    def test_a_generator_cell_shows_its_latest_items_and_how_many_it_streamed(self):
        shown, result = self.cells[17].outputs
        self.assertEqual((shown["output_type"], shown["metadata"]), ("display_data", {"funcx": {"stream": True}}))
        lines = shown["data"]["text/plain"].split("\n")
        self.assertEqual(lines[0], "… 2,000 earlier items not shown (the cell keeps the last 1,000)")
        self.assertEqual(lines[1:], ["{'step': %d}" % i for i in range(2000, 3000)])
        self.assertEqual(result["data"], {"text/plain": "3000 items streamed"})

    def test_a_generator_that_fails_half_way_shows_its_items_then_the_error(self):
        shown, error = self.cells[18].outputs
        self.assertEqual(shown["data"], {"text/plain": "'one'\n'two'"})
        self.assertEqual((error["output_type"], error["ename"], error["evalue"]), ("error", "ValueError", "half way"))

    def test_other_cells_run_on_the_kernel_as_usual(self):
        self.assertEqual(self.cells[14].outputs[0]["data"], {"text/plain": "10"})


@needs_hub
@unittest.skipIf(nbformat is None, "needs nbformat and jupyter_client (the project's .venv)")
class SessionCells(HubTestCase):
    """Cells that share state through a session, run by nbconvert in a real kernel."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cells = execute([
            code("%%%%funcx %s --session nb\nx = 41" % ENDPOINT),
            code("%%%%funcx %s --session nb\nx + 1" % ENDPOINT),
            code("%%%%funcx %s\nx + 1" % ENDPOINT, tags=["raises-exception"]),
            code("%%%%funcx %s --session nb\nimport os\nos.kill(os.getpid(), 9)" % ENDPOINT, tags=["raises-exception"]),
            code("%%%%funcx %s --session=nb\n'x' in dir()" % ENDPOINT),
            code("%funcx session other"),
            code("%%%%funcx %s\ny = 1" % ENDPOINT),
            code("%%%%funcx %s\ny + 1" % ENDPOINT),
            code("%funcx sessions"),
            code("%%%%funcx %s --session 'no good'\n1" % ENDPOINT, tags=["raises-exception"]),
        ])

    @classmethod
    def tearDownClass(cls):
        # Each session holds one of the endpoint's workers until it ends.
        for session in cls.client.sessions():
            cls.client.end_session(session["name"], session["endpoint"])
        wait_until(lambda: not cls.client.sessions(), what="the notebook's sessions ended")
        super().tearDownClass()

    def test_a_later_cell_of_a_session_sees_what_an_earlier_one_defined(self):
        self.assertEqual(self.cells[0].outputs, [])
        self.assertEqual(self.cells[1].outputs[0]["data"], {"text/plain": "42"})

    def test_a_cell_without_the_session_runs_in_a_fresh_namespace_and_says_so(self):
        note, error = self.cells[2].outputs
        self.assertEqual(note["metadata"], {"funcx": {"note": "fresh-namespace"}})
        self.assertEqual((error["ename"], error["evalue"]), ("NameError", "name 'x' is not defined"))
        self.assertEqual([o for o in self.cells[1].outputs if o.get("metadata", {}).get("funcx")], [],
                         "a cell of a session is never told")

    def test_after_the_sessions_worker_died_the_next_cell_says_its_namespace_is_fresh(self):
        (died,) = self.cells[3].outputs
        self.assertEqual(died["ename"], "WorkerDied")
        outputs = self.cells[4].outputs
        self.assertEqual(kinds(outputs), ["stderr", "execute_result"])
        self.assertRegex(texts(outputs, "stderr"),
                         r"^session nb was restarted: the worker that held it exited \(.*\); earlier variables are gone\n$")
        self.assertEqual(outputs[-1]["data"], {"text/plain": "False"})

    def test_funcx_session_sets_the_session_of_cells_that_name_none(self):
        self.assertIn("now run in session other", texts(self.cells[5].outputs, "stdout"))
        self.assertEqual(self.cells[7].outputs[0]["data"], {"text/plain": "2"})

    def test_funcx_sessions_lists_them(self):
        table = texts(self.cells[8].outputs, "stdout")
        self.assertTrue(table.startswith("NAME"))
        self.assertRegex(table, r"\nnb\s+%s\s" % ENDPOINT)
        self.assertRegex(table, r"\nother\s+%s\s" % ENDPOINT)

    def test_a_bad_session_name_says_what_to_change(self):
        (error,) = self.cells[9].outputs
        self.assertEqual(error["ename"], "FuncxMagicError")
        self.assertIn('--session needs a session name, e.g. "%%funcx local --session analysis"', error["evalue"])


@needs_hub
@unittest.skipIf(nbformat is None, "needs nbformat and jupyter_client (the project's .venv)")
class ExecutorInANotebook(unittest.TestCase):
    def test_functions_defined_in_cells_run_through_an_executor(self):
        """a cell defines a helper, a constant and a function; the next cell sends it; errors point at the cell"""
        cells = execute([
            code("import funcx\nexecutor = funcx.Executor(%r)" % ENDPOINT),
            code("OFFSET = 10\n\ndef helper(x):\n    return x * x\n\ndef work(x):\n    return helper(x) + OFFSET"),
            code("list(executor.map(work, range(4)))"),
            code("def broken(x):\n    return x / 0\n\nexecutor.submit(broken, 1).result()", tags=["raises-exception"]),
            code("executor.submit(lambda: {'pair': (1, 2)}).result()"),
        ])
        self.assertEqual(cells[2].outputs[0]["data"]["text/plain"], "[10, 11, 14, 19]")
        error = cells[3].outputs[0]
        self.assertEqual((error["ename"], error["evalue"]), ("ZeroDivisionError", "division by zero"))
        self.assertTrue(any(", line 2, in broken" in line for line in error["traceback"]), error["traceback"])
        self.assertEqual(cells[4].outputs[0]["data"]["text/plain"], "{'pair': (1, 2)}")


@needs_hub
@unittest.skipIf(nbformat is None, "needs nbformat and jupyter_client (the project's .venv)")
class LiveKernel(HubTestCase):
    def setUp(self):
        self.manager, self.kernel = start_new_kernel(kernel_name="python3")

    def tearDown(self):
        self.kernel.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def reply_to(self, msg_id, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kernel.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    def run_cell(self, source, until=None, timeout=60):
        """Executes a cell; returns [(seconds since submit, iopub message)] until its reply (or `until`)."""
        msg_id = self.kernel.execute(source)
        started = time.monotonic()
        seen = []
        while time.monotonic() - started < timeout:
            try:
                message = self.kernel.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            seen.append((time.monotonic() - started, message))
            if until is not None and until(message):
                return msg_id, seen
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return msg_id, seen
        raise AssertionError("the cell did not finish within %d s: %s" % (timeout, json.dumps(
            [m["msg_type"] for _, m in seen])))

    def test_output_arrives_while_the_remote_cell_runs(self):
        _, seen = self.run_cell("%%%%funcx %s\nimport time\nprint('first', flush=True)\ntime.sleep(2)\n"
                                "print('second')" % ENDPOINT)
        streams = [(at, m["content"]["text"]) for at, m in seen if m["msg_type"] == "stream"]
        first = next(at for at, text in streams if "first" in text)
        second = next(at for at, text in streams if "second" in text)
        self.assertGreater(second - first, 1.5, streams)

    def test_a_generator_cells_first_item_shows_before_the_task_ends(self):
        flag = os.path.join(tempfile.mkdtemp(prefix="funcx-flag-"), "go")
        msg_id = self.kernel.execute(
            "%%%%funcx %s\nimport os, time\ndef items():\n    yield 'first'\n    while not os.path.exists(%r):\n"
            "        time.sleep(0.02)\n    yield 'second'\n\nitems()" % (ENDPOINT, flag))
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = self.kernel.get_iopub_msg(timeout=30)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            seen.append(message["msg_type"])
            if message["msg_type"] == "display_data":
                self.assertEqual(message["content"]["data"], {"text/plain": "'first'"})
                break
        self.assertIn("display_data", seen, "the first item is shown while the generator waits")
        self.assertNotIn("execute_result", seen)
        with open(flag, "w"):
            pass
        updates, result = [], None
        while result is None and time.monotonic() < deadline:
            message = self.kernel.get_iopub_msg(timeout=30)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "update_display_data":
                updates.append(message["content"]["data"]["text/plain"])
            elif message["msg_type"] == "execute_result":
                result = message["content"]["data"]
        self.assertEqual(updates[-1:], ["'first'\n'second'"])
        self.assertEqual(result, {"text/plain": "2 items streamed"})

    def test_ctrl_c_cancels_the_remote_task(self):
        msg_id = self.kernel.execute("%%%%funcx %s\nimport time\nprint('started', flush=True)\ntime.sleep(60)"
                                     % ENDPOINT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = self.kernel.get_iopub_msg(timeout=30)
            if message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "stream":
                break
        self.manager.interrupt_kernel()
        reply = self.reply_to(msg_id)
        self.assertEqual(reply["content"]["status"], "error", reply["content"])
        self.assertEqual(reply["content"]["ename"], "TaskCancelled")
        task_id = reply["content"]["evalue"].split()[1]
        self.assertEqual(self.client.get_task(task_id)["state"], "cancelled")

    def test_a_cell_for_an_offline_endpoint_says_it_waits(self):
        msg_id = self.kernel.execute("%%%%funcx %s\n1" % OFFLINE_ENDPOINT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = self.kernel.get_iopub_msg(timeout=30)
            if message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "stream":
                self.assertEqual(message["content"]["text"], "Waiting for endpoint %s (offline): the task runs as "
                                 "soon as it is back.\n" % OFFLINE_ENDPOINT)
                break
        self.manager.interrupt_kernel()
        reply = self.reply_to(msg_id)
        self.assertEqual(reply["content"].get("ename"), "TaskCancelled", reply["content"])


if __name__ == "__main__":
    unittest.main()
