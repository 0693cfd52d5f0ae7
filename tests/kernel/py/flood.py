"""Every message arrives: floods of outputs from one cell, and many cells.

tslab loses outputs after ~512 messages (zeromq 6 EBUSY); these checks send
far more than that and require every output, in order, plus each reply and
idle status. Prints one `METRICS {...}` line with timings.
"""
import json
import time
import unittest

from kernel_client import KernelSession, stdout_text

N = 10_000
DISPLAY = "galore-lab/dist/display"
METRICS = {}


class FloodTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kernel = KernelSession()
        METRICS["kernel_start_s"] = round(cls.kernel.start_seconds, 3)

    @classmethod
    def tearDownClass(cls):
        cls.kernel.close()
        print("METRICS " + json.dumps(METRICS), flush=True)

    def test_print_flood_arrives_whole_and_in_order(self):
        started = time.monotonic()
        reply, messages = self.kernel.execute(f'for (let i = 0; i < {N}; i++) console.log("line " + i)')
        METRICS["print_flood_s"] = round(time.monotonic() - started, 3)
        METRICS["print_flood_stream_messages"] = sum(m["msg_type"] == "stream" for m in messages)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(stdout_text(messages).splitlines(), [f"line {i}" for i in range(N)])

    def test_display_flood_sends_every_display_data_in_order(self):
        started = time.monotonic()
        reply, messages = self.kernel.execute(
            f'import {{ displayMimeBundle }} from "{DISPLAY}";\n'
            f'for (let i = 0; i < {N}; i++) displayMimeBundle({{ "text/plain": "d" + i, "application/json": {{ i }} }})'
        )
        METRICS["display_flood_s"] = round(time.monotonic() - started, 3)
        self.assertEqual(reply["content"]["status"], "ok")
        displays = [m for m in messages if m["msg_type"] == "display_data"]
        self.assertEqual(len(displays), N)  # tslab stops delivering after ~512 messages
        self.assertEqual([m["content"]["data"]["application/json"]["i"] for m in displays], list(range(N)))
        self.assertEqual(displays[-1]["content"]["data"]["text/plain"], f"d{N - 1}")

    def test_interleaved_stdout_and_stderr_keep_their_order(self):
        reply, messages = self.kernel.execute(
            "for (let i = 0; i < 2000; i++) { if (i % 3 === 0) console.error('e' + i); else console.log('o' + i); }"
        )
        self.assertEqual(reply["content"]["status"], "ok")
        lines = []
        for m in messages:
            if m["msg_type"] == "stream":
                lines.extend(m["content"]["text"].splitlines())
        self.assertEqual(lines, [("e" if i % 3 == 0 else "o") + str(i) for i in range(2000)])

    def test_async_flood_from_an_awaiting_cell(self):
        started = time.monotonic()
        reply, messages = self.kernel.execute(
            f"for (let i = 0; i < {N}; i++) {{ console.log('a' + i); await new Promise((r) => setImmediate(r)); }}"
        )
        METRICS["async_flood_s"] = round(time.monotonic() - started, 3)
        METRICS["async_flood_stream_messages"] = sum(m["msg_type"] == "stream" for m in messages)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(stdout_text(messages).splitlines(), [f"a{i}" for i in range(N)])

    def test_many_queued_cells_each_get_outputs_reply_and_idle(self):
        cells = 600
        started = time.monotonic()
        ids = [self.kernel.kc.execute(f'console.log("cell {i}"); {i} * 2') for i in range(cells)]
        for i, msg_id in enumerate(ids):
            reply = self.kernel.reply_for(msg_id)
            self.assertEqual(reply["content"]["status"], "ok", f"cell {i}")
            messages = self.kernel.iopub_until_idle(msg_id)
            kinds = [m["msg_type"] for m in messages]
            self.assertEqual(kinds[0], "status")
            self.assertIn("execute_input", kinds)
            self.assertEqual(stdout_text(messages), f"cell {i}\n")
            results = [m for m in messages if m["msg_type"] == "execute_result"]
            self.assertEqual([r["content"]["data"]["text/plain"] for r in results], [str(i * 2)])
        METRICS["many_cells"] = cells
        METRICS["many_cells_s"] = round(time.monotonic() - started, 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
