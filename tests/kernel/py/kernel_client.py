"""A small test client over Debian's jupyter_client: start a kernel by
kernelspec name, run cells, and collect every IOPub message of each request
until its idle status."""
import os
import time
from queue import Empty

from jupyter_client.manager import start_new_kernel

TIMEOUT = float(os.environ.get("GALORE_KERNEL_TEST_TIMEOUT", "60"))


class KernelSession:
    """Starts the kernel named by GALORE_KERNEL_NAME in the current directory."""

    def __init__(self):
        started = time.monotonic()
        self.km, self.kc = start_new_kernel(kernel_name=os.environ["GALORE_KERNEL_NAME"])
        self.start_seconds = time.monotonic() - started
        self._iopub_backlog = {}

    def close(self):
        self.kc.stop_channels()
        if self.km.is_alive():
            self.km.shutdown_kernel(now=False)

    def reply_for(self, msg_id, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    def iopub_until_idle(self, msg_id, timeout=TIMEOUT):
        """Every IOPub message whose parent is msg_id, up to and including its idle status."""
        collected = self._iopub_backlog.pop(msg_id, [])
        if collected and _is_idle(collected[-1]):
            return collected
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no idle status for {msg_id} after {timeout}s ({len(collected)} messages seen)")
            try:
                msg = self.kc.get_iopub_msg(timeout=remaining)
            except Empty:
                continue
            parent = msg["parent_header"].get("msg_id")
            if parent != msg_id:
                self._iopub_backlog.setdefault(parent, []).append(msg)
                continue
            collected.append(msg)
            if _is_idle(msg):
                return collected

    def send_shell(self, msg_type, content, buffers=None):
        """Sends any shell message (comm_open, comm_msg, ...); returns its msg_id."""
        msg = self.kc.session.msg(msg_type, content)
        self.kc.session.send(self.kc.shell_channel.socket, msg, buffers=buffers)
        return msg["header"]["msg_id"]

    def execute(self, code, timeout=TIMEOUT, **options):
        """Runs one cell; returns (reply, iopub messages between busy and idle, exclusive)."""
        msg_id = self.kc.execute(code, **options)
        reply = self.reply_for(msg_id, timeout)
        messages = self.iopub_until_idle(msg_id, timeout)
        return reply, [m for m in messages if m["msg_type"] != "status"]


def _is_idle(msg):
    return msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"


def stdout_text(messages):
    return "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
