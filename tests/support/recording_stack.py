"""`python -m tests.support.recording_stack`: the local stack (`python -m local`) recording the AWS
calls of its functions and state machines, written when it stops into the directory
NOTES_SYNC_AWS_CALLS_DIR names (the e2e tier audits them against template.yaml's policies at its
end: tests/support/iam.py). Without that variable it is `python -m local` alone. `make run` never
loads this module: the local stack holds emulation only."""

import os
from collections.abc import Callable
from pathlib import Path

from local.__main__ import main
from local.stack import LocalStack
from tests.support.aws_calls import DIRECTORY_VARIABLE, CallRecorder


def record_calls_into(directory: Path) -> Callable[[LocalStack], Callable[[], None]]:
    """An observer of local's main: records from before any function is loaded (notes_core makes
    its clients on first use) and saves the recording, one file per process, when the stack stops."""

    def observe(stack: LocalStack) -> Callable[[], None]:
        recorder = CallRecorder(stack.provisioned).start()
        return lambda: recorder.recording().save(directory / f"{os.getpid()}.json")

    return observe


if __name__ == "__main__":
    directory = os.environ.get(DIRECTORY_VARIABLE)
    main(record_calls_into(Path(directory)) if directory else None)
