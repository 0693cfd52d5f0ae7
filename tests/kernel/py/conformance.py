"""Jupyter's own kernel conformance suite (Debian's python3-jupyter-kernel-test)
against the GaLore Lab kernel. Every one of its 12 tests is given samples, so
none is skipped.

Run by tests/kernel/conformance.test.ts with GALORE_KERNEL_NAME naming a
kernelspec on JUPYTER_PATH and the current directory as the notebook folder.
"""
import os
import unittest

import jupyter_kernel_test as jkt

DISPLAY = "galore-lab/dist/display"


class GaloreLabKernelTests(jkt.KernelTests):
    kernel_name = os.environ["GALORE_KERNEL_NAME"]
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("something went wrong")'

    completion_samples = [
        {"text": "Math.ma", "matches": ["max"]},
        {"text": "const galoreRank = 8;\nconst galoreScale = 0.25;\ngaloreR", "matches": ["galoreRank"]},
    ]

    complete_code_samples = ["1 + 1", "const x = 1;", "function f() {\n  return 1;\n}", "Math.max?"]
    incomplete_code_samples = ["function f() {", "const s = `abc", "[1, 2,", "if (ready)", "/* comment"]
    invalid_code_samples = ["const = 5;", "1 +* 2", ")", "let x: = 3"]

    code_page_something = "Math.max?"

    code_generate_error = 'throw new RangeError("rank must be positive")'

    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": '"Ga" + "Lore"', "result": "'GaLore'"},
        {
            "code": "({ [Symbol.for('Jupyter.display')]: () => ({ 'text/html': '<b>rich</b>' }) })",
            "mime": "text/html",
            "result": "<b>rich</b>",
        },
    ]

    code_display_data = [
        {"code": 'import { display } from "tslab";\ndisplay.html("<b>tslab api</b>")', "mime": "text/html"},
        {
            "code": f'import {{ displayMimeBundle }} from "{DISPLAY}";\n'
            'displayMimeBundle({ "text/html": "<i>both</i>", "application/json": { rank: 8 } })',
            "mime": "application/json",
        },
    ]

    code_history_pattern = "1 + *"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math.max"

    code_clear_output = f'import {{ clearOutput }} from "{DISPLAY}";\nclearOutput()'


if __name__ == "__main__":
    unittest.main(verbosity=2)
