"""notes_core.runtime.observability: what every function's log gets besides its own lines."""

import json
import os
import subprocess
import sys

from local import template as tpl
from local.functions import LAYER_PATH

HANDLER = str(tpl.ROOT / "functions" / "openapi")


def test_an_invocation_that_records_no_metric_logs_no_warning() -> None:
    # Given a function that records no business metric (the OpenAPI document's), run as in Lambda
    program = (
        "import sys\n"
        f"sys.path[:0] = [{HANDLER!r}, {str(LAYER_PATH)!r}]\n"
        "import app\n"
        "from local.lambda_context import LambdaContext\n"
        "event = {'rawPath': '/v1/openapi.json', 'requestContext': {'http': {'method': 'GET'}, 'requestId': 'r'},"
        " 'headers': {}}\n"
        "for _ in range(2):\n"  # the cold invocation publishes the cold-start metric; the warm one nothing
        "    print(app.handler(event, LambdaContext('OpenApiFunction'))['statusCode'])\n"
    )
    environment = {
        **os.environ,
        "POWERTOOLS_SERVICE_NAME": "notes-sync",
        "POWERTOOLS_METRICS_NAMESPACE": "NotesSync",
        "LAMBDA_TASK_ROOT": HANDLER,
    }

    # When it is invoked twice in one process
    ran = subprocess.run(
        [sys.executable, "-c", program], env=environment, cwd=tpl.ROOT, capture_output=True, text=True, check=True
    )

    # Then both answer, and neither writes Powertools' empty-metrics warning to the log
    statuses = [line for line in ran.stdout.splitlines() if not line.startswith("{")]
    assert statuses == ["200", "200"]
    assert "No application metrics" not in ran.stderr + ran.stdout, ran.stderr
    emitted = [json.loads(line) for line in ran.stdout.splitlines() if line.startswith("{")]
    assert [metric["ColdStart"] for metric in emitted if "ColdStart" in metric] == [[1.0]]
