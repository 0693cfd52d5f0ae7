"""Interrupt, stop_on_error, errors with cell line numbers, errors outside
cells, bad messages, restart and shutdown, with a real jupyter_client."""
import re
import time
import unittest

from kernel_client import KernelSession, stdout_text

ANSI = re.compile(r"\x1b\[[0-9;]*m")
DISPLAY = "galore-lab/dist/display"


def plain(lines):
    return [ANSI.sub("", line) for line in lines]


class LifecycleTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kernel = KernelSession()

    @classmethod
    def tearDownClass(cls):
        cls.kernel.close()

    def test_runtime_error_points_at_cell_lines(self):
        code = (
            "interface Config {\n"
            "  rank: number;\n"
            "}\n"
            "function checkRank(config: Config): number {\n"
            "  const limit: number = 64;\n"
            "  if (config.rank > limit)\n"
            "    throw new RangeError(`rank ${config.rank} exceeds ${limit}`);\n"
            "  return config.rank;\n"
            "}\n"
            "checkRank({ rank: 128 })\n"
        )
        reply, messages = self.kernel.execute(code)
        content = reply["content"]
        self.assertEqual(content["status"], "error")
        self.assertEqual(content["ename"], "RangeError")
        self.assertEqual(content["evalue"], "rank 128 exceeds 64")
        traceback = "\n".join(plain(content["traceback"]))
        count = content["execution_count"]
        self.assertIn(f"at checkRank (Cell In[{count}], line 7)", traceback)
        self.assertIn(f"(Cell In[{count}], line 10)", traceback)
        self.assertIn("----> 7 |     throw new RangeError", traceback)
        errors = [m for m in messages if m["msg_type"] == "error"]
        self.assertEqual([e["content"]["ename"] for e in errors], ["RangeError"])

    def test_error_in_function_from_an_earlier_cell_names_that_cell(self):
        _, _ = self.kernel.execute("function explode(): never {\n  throw new Error('from before')\n}")
        first = self.kernel.kc.execute("1")
        count = self.kernel.reply_for(first)["content"]["execution_count"] - 1
        self.kernel.iopub_until_idle(first)
        reply, _ = self.kernel.execute("\n\nexplode()")
        traceback = "\n".join(plain(reply["content"]["traceback"]))
        self.assertIn(f"at explode (Cell In[{count}], line 2)", traceback)
        self.assertIn(f"(Cell In[{count + 2}], line 3)", traceback)

    def test_type_error_reports_line_and_column(self):
        reply, _ = self.kernel.execute("const ok = 1;\nconst rank: number = 'eight';")
        content = reply["content"]
        self.assertEqual(content["ename"], "TSError")
        self.assertIn("not assignable to type 'number'", content["evalue"])
        self.assertIn(f"Cell In[{content['execution_count']}], line 2, column 7", "\n".join(plain(content["traceback"])))

    def test_stop_on_error_aborts_queued_cells(self):
        first = self.kernel.kc.execute('throw new Error("first fails")')
        second = self.kernel.kc.execute('console.log("must not run")')
        third = self.kernel.kc.execute('console.log("must not run either")')
        self.assertEqual(self.kernel.reply_for(first)["content"]["status"], "error")
        for msg_id in (second, third):
            self.assertEqual(self.kernel.reply_for(msg_id)["content"]["status"], "aborted")
            self.assertEqual(stdout_text(self.kernel.iopub_until_idle(msg_id)), "")
        self.kernel.iopub_until_idle(first)
        ran = self.kernel.kc.execute("throw new Error('fails again')", stop_on_error=False)
        after = self.kernel.kc.execute('console.log("runs")')
        self.assertEqual(self.kernel.reply_for(ran)["content"]["status"], "error")
        self.assertEqual(self.kernel.reply_for(after)["content"]["status"], "ok")
        self.assertEqual(stdout_text(self.kernel.iopub_until_idle(after)), "runs\n")

    def test_sigint_interrupts_a_busy_loop(self):
        msg_id = self.kernel.kc.execute("let spins = 0;\nwhile (true) { spins++; }")
        time.sleep(1.0)
        self.kernel.km.interrupt_kernel()
        reply = self.kernel.reply_for(msg_id, timeout=20)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "InterruptedError")
        self.kernel.iopub_until_idle(msg_id)
        reply, _ = self.kernel.execute("spins > 0")
        self.assertEqual(reply["content"]["status"], "ok")

    def test_interrupt_request_stops_an_awaiting_cell_and_aborts_its_signal(self):
        code = (
            f'import {{ currentCellSignal }} from "{DISPLAY}";\n'
            "const signal = currentCellSignal();\n"
            "await new Promise(() => {});"
        )
        msg_id = self.kernel.kc.execute(code)
        time.sleep(0.5)
        interrupt = self.kernel.kc.session.msg("interrupt_request", {})
        self.kernel.kc.control_channel.send(interrupt)
        control_reply = self.kernel.kc.get_control_msg(timeout=10)
        self.assertEqual(control_reply["msg_type"], "interrupt_reply")
        self.assertEqual(control_reply["content"]["status"], "ok")
        reply = self.kernel.reply_for(msg_id, timeout=10)
        self.assertEqual(reply["content"]["ename"], "InterruptedError")
        self.kernel.iopub_until_idle(msg_id)
        reply, outputs = self.kernel.execute("signal?.aborted")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"], ["true"])

    def test_error_thrown_later_by_a_timer_is_reported_to_its_cell(self):
        msg_id = self.kernel.kc.execute("setTimeout(() => { throw new TypeError('thrown by a timer'); }, 50); 'scheduled'")
        self.assertEqual(self.kernel.reply_for(msg_id)["content"]["status"], "ok")
        self.kernel.iopub_until_idle(msg_id)
        deadline = time.monotonic() + 10
        late = None
        while late is None and time.monotonic() < deadline:
            msg = self.kernel.kc.get_iopub_msg(timeout=10)
            if msg["msg_type"] == "error" and msg["parent_header"].get("msg_id") == msg_id:
                late = msg
        self.assertIsNotNone(late)
        self.assertEqual(late["content"]["ename"], "TypeError")
        reply, _ = self.kernel.execute("Promise.reject(new Error('nobody catches me')); 'still alive'")
        self.assertEqual(reply["content"]["status"], "ok")
        reply, outputs = self.kernel.execute("'kernel survived'")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"], ["'kernel survived'"])

    def test_bad_messages_are_dropped_and_unknown_requests_answered(self):
        socket = self.kernel.kc.shell_channel.socket
        socket.send_multipart([b"<IDS|MSG>", b"not-a-signature", b"{}", b"{}", b"{}", b"{}"])
        msg_id = self.kernel.send_shell("frobnicate_request", {})
        reply = self.kernel.reply_for(msg_id)
        self.assertEqual(reply["msg_type"], "frobnicate_reply")
        self.assertEqual(reply["content"]["status"], "error")
        self.kernel.iopub_until_idle(msg_id)
        reply, _ = self.kernel.execute("1")
        self.assertEqual(reply["content"]["status"], "ok")

    def test_user_expressions_and_silent_execution(self):
        msg_id = self.kernel.kc.execute("const base = 20;", user_expressions={"twice": "base * 2", "bad": "nope()"})
        reply = self.kernel.reply_for(msg_id)
        self.kernel.iopub_until_idle(msg_id)
        expressions = reply["content"]["user_expressions"]
        self.assertEqual(expressions["twice"], {"status": "ok", "data": {"text/plain": "40"}, "metadata": {}})
        self.assertEqual(expressions["bad"]["status"], "error")
        before = reply["content"]["execution_count"]
        msg_id = self.kernel.kc.execute("base + 1", silent=True)
        silent_reply = self.kernel.reply_for(msg_id)
        kinds = [m["msg_type"] for m in self.kernel.iopub_until_idle(msg_id)]
        self.assertEqual(kinds, ["status", "status"])
        self.assertEqual(silent_reply["content"]["execution_count"], before)

    def test_zz_restart_clears_state_and_shutdown_exits_quickly(self):
        self.kernel.execute("const survivor = 1;")
        self.kernel.km.restart_kernel(now=False)
        self.kernel.kc.wait_for_ready(timeout=60)
        reply, _ = self.kernel.execute("typeof survivor")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "TSError")
        self.assertEqual(reply["content"]["execution_count"], 1)
        started = time.monotonic()
        self.kernel.km.shutdown_kernel(now=False)
        self.assertLess(time.monotonic() - started, 4.0)
        self.assertFalse(self.kernel.km.is_alive())


if __name__ == "__main__":
    unittest.main(verbosity=2)
