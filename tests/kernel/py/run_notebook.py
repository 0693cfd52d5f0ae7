"""Execute a notebook with Debian's nbclient, as `jupyter nbconvert --execute` would.

usage: run_notebook.py IN.ipynb OUT.ipynb WORKING_DIR [KERNEL_NAME]

The kernel comes from the notebook's metadata unless KERNEL_NAME is given;
it starts in WORKING_DIR (the notebook's folder in Jupyter). Prints the
seconds taken; exits non-zero (with nbclient's message) if a cell fails.
"""
import sys
import time

import nbformat
from nbclient import NotebookClient


def main(argv):
    source, target, working_dir = argv[1:4]
    kernel_name = argv[4] if len(argv) > 4 else None
    notebook = nbformat.read(source, as_version=4)
    options = {"timeout": 120, "startup_timeout": 60, "resources": {"metadata": {"path": working_dir}}}
    if kernel_name:
        options["kernel_name"] = kernel_name
    started = time.monotonic()
    NotebookClient(notebook, **options).execute()
    nbformat.write(notebook, target)
    print(f"executed {source} in {time.monotonic() - started:.2f}s")


if __name__ == "__main__":
    main(sys.argv)
