"""Execute one notebook headless with Debian's nbclient and our kernel.

usage: execute_notebook.py IN.ipynb OUT.ipynb WORKING_DIR CELL_TIMEOUT_S

The kernel is the one the notebook's metadata names (galore-lab); Jupyter
finds it through JUPYTER_PATH. It starts in WORKING_DIR, so relative paths and
`./helpers/...` imports resolve as they do when the notebook is opened in
JupyterLab from that folder. No timing metadata is recorded, so an executed
notebook differs from the previous one only where its outputs do.

OUT is written even when a cell fails (the outputs up to the failing cell),
so a failure can be read. The last line printed is a JSON summary:
{"ok": bool, "seconds": total, "cells": [[index, seconds], ...], "error": str|null}.
"""
import json
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def main(argv):
    source, target, working_dir, cell_timeout = argv[1], argv[2], argv[3], int(float(argv[4]))
    notebook = nbformat.read(source, as_version=4)
    timings = []
    started_cell = {}

    def on_cell_start(cell, cell_index):
        started_cell[cell_index] = time.monotonic()

    def on_cell_executed(cell, cell_index, execute_reply):
        timings.append([cell_index, round(time.monotonic() - started_cell.get(cell_index, time.monotonic()), 3)])

    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        startup_timeout=60,
        record_timing=False,
        resources={"metadata": {"path": working_dir}},
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    started = time.monotonic()
    error = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    seconds = round(time.monotonic() - started, 3)
    nbformat.write(notebook, target)
    print(json.dumps({"ok": error is None, "seconds": seconds, "cells": timings, "error": error}))
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
