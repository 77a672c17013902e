"""Fixes to moto's Step Functions executor, applied by local.moto_server.

- The context object's Execution.StartTime is ISO 8601 text in UTC with milliseconds, e.g.
  "2019-03-26T20:14:13.192Z" (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html):
  the purge-trash machine compares it, as text, with the notes' purge_after, written the same way.
- moto parses a definition with ANTLR when the state machine is created (to refuse an invalid one,
  as CreateStateMachine does) and again for each execution: 0.09-0.28 s a definition, so a purge of
  100 notes spent 14 s parsing. Each definition is parsed once: the parse that validated it is
  kept, and each execution evaluates a deep copy of it (~0.01 s), as much its own as a parse would
  be. A definition moto's parser refuses is refused with moto's own InvalidDefinition.
  (Parses cannot be kept across runs: the definitions hold the run's queue URLs and user pool id.)
- The errors moto's ASL backend raises carry their code: CreateStateMachine refuses an invalid
  definition with InvalidDefinition (https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html#API_CreateStateMachine_Errors);
  moto named the code in an attribute its JSON error does not read, so every one of them answered
  with an empty code.
- The executor's tasks (sqs:sendMessage, aws-sdk:s3:deleteObjects, ...) call moto over HTTP at
  http://localhost:$MOTO_PORT (moto's boto_client_for); the local stack's moto listens on HOST,
  which localhost does not reach when HOST is another address (127.0.0.2, a LAN address): they
  call the stack's moto where this machine reaches it (`TASK_CLIENTS.endpoint_url`, set by
  local.moto_server.MotoServer).
"""

import copy
import datetime
import threading
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent


class ParsedDefinitions:
    """Each definition's parse (moto's evaluation components), made once per definition text."""

    def __init__(self) -> None:
        self._parsed: dict[str, EvalComponent] = {}
        self._lock = threading.Lock()

    def program(self, definition: str) -> "EvalComponent":
        """The kept parse: raises what moto's parser raises for a definition it refuses."""
        from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

        with self._lock:
            if definition not in self._parsed:
                self._parsed[definition] = AmazonStateLanguageParser.parse(definition)[0]
            return self._parsed[definition]


class _TaskClients:
    """What moto's boto_client module sees as `boto3`: its clients, at `endpoint_url` when moto
    names an endpoint (it names none when its in-process mock intercepts the calls)."""

    endpoint_url: str | None = None

    def client(self, *args: Any, **kwargs: Any) -> Any:
        if self.endpoint_url is not None and "endpoint_url" in kwargs:
            kwargs["endpoint_url"] = self.endpoint_url
        return boto3.client(*args, **kwargs)


TASK_CLIENTS = _TaskClients()


def call_stack_moto() -> None:
    from moto.stepfunctions.parser.asl.utils import boto_client

    vars(boto_client)["boto3"] = TASK_CLIENTS


def name_error_codes() -> None:
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser import api

    for error in vars(api).values():
        named = isinstance(error, type) and issubclass(error, AWSError) and isinstance(vars(error).get("code"), str)
        if named and error.TYPE is None:
            error.TYPE = vars(error)["code"]
            error.STATUS = vars(error).get("status_code", error.STATUS)


def patch_executions(parsed: ParsedDefinitions) -> None:
    # Imported here, after local.moto_server has deferred moto's Batch backend: these modules
    # bring in the executor's Batch integration.
    from moto.stepfunctions.parser.asl.eval.evaluation_details import ExecutionDetails
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original_details = Execution.get_start_execution_details

    def get_start_execution_details(self: Execution) -> ExecutionDetails:
        details = original_details(self)
        started: datetime.datetime = self.start_date
        text = started.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        details.start_time = text  # type: ignore[misc]  # Final in moto, which only ever reads it
        return details

    original_validation = StepFunctionsParserBackend._validate_definition

    def validate_definition(definition: str) -> None:
        try:
            parsed.program(definition)
        except Exception:
            original_validation(definition)  # raises moto's InvalidDefinition for it
            raise

    def _get_evaluation_entrypoint(self: ExecutionWorker) -> "EvalComponent":
        program = parsed.program(self._evaluation_details.state_machine_details.definition)
        return copy.deepcopy(program)  # the kept parse is never evaluated itself

    Execution.get_start_execution_details = get_start_execution_details  # type: ignore[method-assign]
    StepFunctionsParserBackend._validate_definition = staticmethod(validate_definition)  # type: ignore[method-assign]
    ExecutionWorker._get_evaluation_entrypoint = _get_evaluation_entrypoint  # type: ignore[method-assign]
