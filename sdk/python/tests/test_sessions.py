"""Sessions from Python against the real hub and endpoint sdk/test/ started: Client.run(session=),
Executor(session=), Client.sessions() and Client.end_session()."""

import unittest

import funcx
from support import ENDPOINT, HubTestCase, needs_hub, wait_until


def remember(value):
    globals()["kept"] = value
    return value


def recall():
    return globals().get("kept", "nothing kept")


@needs_hub
class Sessions(HubTestCase):
    def tearDown(self):
        # A session holds a worker of the endpoint until it ends.
        for session in self.client.sessions():
            self.client.end_session(session["name"], session["endpoint"])
        wait_until(lambda: not self.client.sessions(), what="every session ended")

    def test_client_run_with_a_session_keeps_its_namespace_from_task_to_task(self):
        self.client.wait(self.client.run(source="x = 41", endpoint=ENDPOINT, session="py"))
        second = self.client.run(source="x + 1", endpoint=ENDPOINT, session="py")
        self.assertEqual(self.client.wait(second), 42)
        record = self.client.get_task(second)
        self.assertEqual(record["session"], "py")
        self.assertNotIn("session_restarted", record)
        with self.assertRaises(NameError):
            self.client.wait(self.client.run(source="x + 1", endpoint=ENDPOINT))

    def test_an_executors_functions_run_with_the_sessions_namespace_as_their_globals(self):
        with funcx.Executor(ENDPOINT, client=self.client, session="ex") as executor:
            self.assertEqual(executor.submit(remember, [1, 2]).result(), [1, 2])
            self.assertEqual(executor.submit(recall).result(), [1, 2])
        self.assertEqual(self.client.wait(self.client.run(source="kept", endpoint=ENDPOINT, session="ex")), [1, 2])
        with funcx.Executor(ENDPOINT, client=self.client) as executor:
            self.assertEqual(executor.submit(recall).result(), "nothing kept", "without the session: a fresh namespace")

    def test_sessions_lists_yours_and_end_session_ends_it(self):
        self.client.wait(self.client.run(source="y = 1", endpoint=ENDPOINT, session="listed"))
        listed = wait_until(lambda: [s for s in self.client.sessions(ENDPOINT) if s["name"] == "listed"],
                            what="the session listed")
        self.assertEqual(listed[0]["endpoint"], ENDPOINT)
        ended = self.client.end_session("listed")
        self.assertEqual(ended["name"], "listed")
        fresh = self.client.run(source="'y' in dir()", endpoint=ENDPOINT, session="listed")
        self.assertIs(self.client.wait(fresh), False)

    def test_a_session_whose_worker_died_says_so_on_its_next_task(self):
        self.client.wait(self.client.run(source="z = 1", endpoint=ENDPOINT, session="dies"))
        with self.assertRaises(funcx.TaskFailed) as died:
            self.client.wait(self.client.run(source="import os\nos.kill(os.getpid(), 9)", endpoint=ENDPOINT,
                                             session="dies"))
        self.assertIn("worker died", str(died.exception))
        after = self.client.run(source="'z' in dir()", endpoint=ENDPOINT, session="dies")
        self.assertIs(self.client.wait(after), False)
        record = self.client.get_task(after)
        self.assertRegex(record["session_restarted"], r"^the worker that held it exited \(")
        printed = "".join(o["text"] for o in record["outputs"] if o["output_type"] == "stream")
        self.assertIn("session dies was restarted: the worker that held it exited", printed)

    def test_bad_and_unknown_sessions_are_refused_with_what_to_change(self):
        with self.assertRaises(funcx.FuncxError) as unknown:
            self.client.end_session("never-started")
        self.assertEqual((unknown.exception.code, unknown.exception.status), ("FUNCX_SESSION_NOT_FOUND", 404))
        for bad in ("two words", "", "-dash", "x" * 65):
            with self.assertRaises(funcx.FuncxError) as refused:
                self.client.run(source="1", endpoint=ENDPOINT, session=bad)
            self.assertEqual(refused.exception.code, "FUNCX_BAD_REQUEST")
            self.assertIn("is not a valid session name: use 1 to 64 letters", refused.exception.message)
        with self.assertRaises(funcx.FuncxError):
            funcx.Executor(ENDPOINT, client=self.client, session="no spaces")


if __name__ == "__main__":
    unittest.main()
