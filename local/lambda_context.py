"""A Lambda context object for handlers invoked outside Lambda (local stack, tests, benchmarks)."""

import time
import uuid

from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsLambdaContext

from local.template import ACCOUNT_ID


class LambdaContext(PowertoolsLambdaContext):
    """Powertools' typed context, filled in as Lambda fills it for one invocation."""

    def __init__(self, function_name: str = "notes-sync-local", timeout_seconds: float = 10.0) -> None:
        self._function_name = function_name
        self._function_version = "$LATEST"
        self._invoked_function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:{function_name}"
        self._memory_limit_in_mb = 1024
        self._aws_request_id = str(uuid.uuid4())
        self._log_group_name = f"/aws/lambda/{function_name}"
        self._log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]  # an instance method in Lambda
        return max(0, int((self._deadline - time.monotonic()) * 1000))
