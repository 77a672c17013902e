"""`python tests/e2e/lambda_runtime.py CODE_DIR HANDLER < EVENT`: one invocation of a function as
Lambda's Python runtime makes it in the container `sam local invoke` starts, for test_sam_env.py.

The process's environment is the container's, nothing added: the function's code directory (the
container's /var/task) and the core layer (its /opt/python) go on the path, the handler is imported
and called once with the event and a context named and timed from what SAM sets
(AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_TIMEOUT). Its answer goes to stdout as JSON, its log
lines to stderr.
"""

import contextlib
import importlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    code_dir, handler = sys.argv[1:]
    sys.path[0] = code_dir  # in place of this file's directory
    sys.path.insert(1, str(ROOT / "layers" / "core"))
    sys.path.append(str(ROOT))  # local.lambda_context, after everything the function imports
    from local.lambda_context import LambdaContext

    event = json.load(sys.stdin)
    context = LambdaContext(os.environ["AWS_LAMBDA_FUNCTION_NAME"], float(os.environ["AWS_LAMBDA_FUNCTION_TIMEOUT"]))
    module, attribute = handler.rsplit(".", 1)
    with contextlib.redirect_stdout(sys.stderr):
        answer = getattr(importlib.import_module(module), attribute)(event, context)
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
