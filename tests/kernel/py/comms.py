"""Comms with a real jupyter_client: comm_info, comm_open / comm_msg /
comm_close in both directions, buffers, unknown targets, failing handlers,
and a widget steering a cell that is still running."""
import time
import unittest
import uuid

from kernel_client import KernelSession, stdout_text

DISPLAY = "galore-lab/dist/display"

ECHO_TARGET = f"""
import {{ registerCommTarget }} from "{DISPLAY}";
const registration = registerCommTarget("galore-lab.echo", (comm, open) => {{
  comm.send({{ opened: open.data }});
  comm.onMessage((message) => {{
    if ((message.data as {{ fail?: boolean }}).fail) throw new Error("handler failed on purpose");
    comm.send({{ echo: message.data, buffers: message.buffers.map((b) => b.length) }}, {{ buffers: message.buffers }});
  }});
  comm.onClose((message) => console.log("closed with", JSON.stringify(message.data)));
}});
registration.ok
"""


class CommTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kernel = KernelSession()
        reply, messages = cls.kernel.execute(ECHO_TARGET)
        assert reply["content"]["status"] == "ok", reply["content"]

    @classmethod
    def tearDownClass(cls):
        cls.kernel.close()

    def comm_info(self, **content):
        msg_id = self.kernel.send_shell("comm_info_request", content)
        reply = self.kernel.reply_for(msg_id)
        self.assertEqual(reply["msg_type"], "comm_info_reply")
        self.assertEqual(reply["content"]["status"], "ok")
        self.kernel.iopub_until_idle(msg_id)
        return reply["content"]["comms"]

    def open_echo(self, data):
        comm_id = uuid.uuid4().hex
        msg_id = self.kernel.send_shell("comm_open", {"comm_id": comm_id, "target_name": "galore-lab.echo", "data": data})
        messages = self.kernel.iopub_until_idle(msg_id)
        return comm_id, [m for m in messages if m["msg_type"] != "status"]

    def test_open_message_close_round_trip(self):
        comm_id, opened = self.open_echo({"run": "lora-r8"})
        self.assertEqual([m["msg_type"] for m in opened], ["comm_msg"])
        self.assertEqual(opened[0]["content"], {"comm_id": comm_id, "data": {"opened": {"run": "lora-r8"}}})

        comms = self.comm_info()
        self.assertEqual(comms[comm_id], {"target_name": "galore-lab.echo"})
        self.assertIn(comm_id, self.comm_info(target_name="galore-lab.echo"))
        self.assertNotIn(comm_id, self.comm_info(target_name="something.else"))

        msg_id = self.kernel.send_shell("comm_msg", {"comm_id": comm_id, "data": {"step": 3}}, buffers=[b"abcd", b"xy"])
        echoed = [m for m in self.kernel.iopub_until_idle(msg_id) if m["msg_type"] == "comm_msg"]
        self.assertEqual(echoed[0]["content"]["data"], {"echo": {"step": 3}, "buffers": [4, 2]})
        self.assertEqual([bytes(b) for b in echoed[0]["buffers"]], [b"abcd", b"xy"])

        msg_id = self.kernel.send_shell("comm_close", {"comm_id": comm_id, "data": {"why": "done"}})
        closing = self.kernel.iopub_until_idle(msg_id)
        self.assertEqual(stdout_text(closing), 'closed with {"why":"done"}\n')
        self.assertNotIn(comm_id, self.comm_info())

    def test_unknown_target_is_closed_back(self):
        comm_id = uuid.uuid4().hex
        msg_id = self.kernel.send_shell("comm_open", {"comm_id": comm_id, "target_name": "no.such.target", "data": {}})
        messages = self.kernel.iopub_until_idle(msg_id)
        closes = [m for m in messages if m["msg_type"] == "comm_close"]
        self.assertEqual([m["content"]["comm_id"] for m in closes], [comm_id])

    def test_failing_handler_is_reported_and_kernel_keeps_working(self):
        comm_id, _ = self.open_echo({})
        msg_id = self.kernel.send_shell("comm_msg", {"comm_id": comm_id, "data": {"fail": True}})
        messages = self.kernel.iopub_until_idle(msg_id)
        errors = [m for m in messages if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0]["content"]["evalue"], "handler failed on purpose")
        reply, outputs = self.kernel.execute("40 + 2")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"], ["42"])

    def test_kernel_opened_comm_receives_frontend_messages(self):
        code = f"""
import {{ openComm }} from "{DISPLAY}";
const opened = openComm("galore-lab.frontend", {{ hello: "frontend" }});
if (opened.ok) opened.comm.onMessage((m) => console.log("kernel got", JSON.stringify(m.data)));
opened.ok
"""
        reply, messages = self.kernel.execute(code)
        self.assertEqual(reply["content"]["status"], "ok")
        opens = [m for m in messages if m["msg_type"] == "comm_open"]
        self.assertEqual(len(opens), 1)
        self.assertEqual(opens[0]["content"]["target_name"], "galore-lab.frontend")
        self.assertEqual(opens[0]["content"]["data"], {"hello": "frontend"})
        comm_id = opens[0]["content"]["comm_id"]
        msg_id = self.kernel.send_shell("comm_msg", {"comm_id": comm_id, "data": {"pause": True}})
        self.assertEqual(stdout_text(self.kernel.iopub_until_idle(msg_id)), 'kernel got {"pause":true}\n')

    def test_widget_steers_a_running_cell(self):
        """comm_open and comm_msg are handled while the cell's execute is in flight."""
        code = f"""
import {{ registerCommTarget }} from "{DISPLAY}";
let logEvery = 50;
let stopRequested = false;
registerCommTarget("galore-lab.training", (comm) => {{
  comm.onMessage(({{ data }}) => {{
    const command = data as {{ logEvery?: number; stop?: boolean }};
    if (command.logEvery) logEvery = command.logEvery;
    if (command.stop) stopRequested = true;
    comm.send({{ ack: command }});
  }});
}});
let step = 0;
while (!stopRequested && step < 100000) {{
  if (step % logEvery === 0) console.log("step", step, "logEvery", logEvery);
  step++;
  await new Promise((resolve) => setTimeout(resolve, 2));
}}
`stopped=${{stopRequested}} logEvery=${{logEvery}}`
"""
        execute_id = self.kernel.kc.execute(code)
        time.sleep(0.5)  # let the loop run
        comm_id = uuid.uuid4().hex
        open_id = self.kernel.send_shell("comm_open", {"comm_id": comm_id, "target_name": "galore-lab.training", "data": {}})
        self.kernel.iopub_until_idle(open_id, timeout=10)
        change_id = self.kernel.send_shell("comm_msg", {"comm_id": comm_id, "data": {"logEvery": 1}})
        acks = [m for m in self.kernel.iopub_until_idle(change_id, timeout=10) if m["msg_type"] == "comm_msg"]
        self.assertEqual(acks[0]["content"]["data"], {"ack": {"logEvery": 1}})
        time.sleep(0.2)
        stop_id = self.kernel.send_shell("comm_msg", {"comm_id": comm_id, "data": {"stop": True}})
        self.kernel.iopub_until_idle(stop_id, timeout=10)

        reply = self.kernel.reply_for(execute_id, timeout=30)
        self.assertEqual(reply["content"]["status"], "ok")
        messages = self.kernel.iopub_until_idle(execute_id)
        # After each comm message's idle the kernel says again that the running cell keeps it busy.
        busy = [m for m in messages if m["msg_type"] == "status" and m["content"]["execution_state"] == "busy"]
        self.assertGreaterEqual(len(busy), 4)
        results = [m["content"]["data"]["text/plain"] for m in messages if m["msg_type"] == "execute_result"]
        self.assertEqual(results, ["'stopped=true logEvery=1'"])
        lines = stdout_text(messages).splitlines()
        self.assertTrue(any(line.endswith("logEvery 50") for line in lines))
        self.assertTrue(any(line.endswith("logEvery 1") for line in lines))


if __name__ == "__main__":
    unittest.main(verbosity=2)
