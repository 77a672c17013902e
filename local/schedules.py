"""The template's schedules, run locally: every state machine or function with a Schedule or
ScheduleV2 event is started every LOCAL_SCHEDULE_SECONDS (default 300) instead of at its rate or
cron expression, so that a daily job runs while someone is looking.

Each run starts the state machine through moto (whose ASL executor runs it) under a name of its
own, or invokes the function in this process, with the event's Input, or with the event the
service sends when there is none (`service_event`). EventBridge Scheduler invokes its targets at
least once, not exactly once ("What is Amazon EventBridge Scheduler?",
https://docs.aws.amazon.com/scheduler/latest/UserGuide/what-is-scheduler.html), so a scheduled
machine must bear two runs of the same tick: each local run is a new execution, never a replay of
the last.
"""

import json
import traceback
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from local import template as tpl
from local.background import BackgroundLoop
from local.stack import LocalStack

INTERVAL_VARIABLE = "LOCAL_SCHEDULE_SECONDS"
DEFAULT_INTERVAL_SECONDS = 300.0


def interval_seconds(environ: Mapping[str, str]) -> float:
    """The local interval between two runs of every schedule, from LOCAL_SCHEDULE_SECONDS."""
    text = environ.get(INTERVAL_VARIABLE, str(DEFAULT_INTERVAL_SECONDS))
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise ValueError(f"{INTERVAL_VARIABLE} must be a number of seconds above 0, not {text!r}")
    return seconds


def service_event(schedule: tpl.Schedule, region: str, account: str, at: datetime, event_id: str) -> dict[str, Any]:
    """What the target of a schedule without Input gets.

    A rule (Schedule) sends EventBridge's Scheduled Event, whose detail is {}
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/event-reference.html). EventBridge
    Scheduler (ScheduleV2) "delivers a default notification to the target"
    (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_Target.html, Input): the same
    envelope from aws.scheduler, naming the schedule, whose detail is the text "{}".
    """
    # Without a Name, the rule or schedule is named after the logical id SAM generates for it.
    name = schedule.name or f"{schedule.target}{schedule.event}"
    detail: dict[str, Any] | str
    if schedule.event_type == "Schedule":
        source, resource, detail = "aws.events", f"arn:aws:events:{region}:{account}:rule/{name}", {}
    else:
        source, resource = "aws.scheduler", f"arn:aws:scheduler:{region}:{account}:schedule/default/{name}"
        detail = "{}"
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": source,
        "account": account,
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [resource],
        "detail": detail,
    }


def execution_name(schedule: tpl.Schedule, at: datetime, event_id: str) -> str:
    """A name no other run takes, within the 80 characters a name may have: the event, when, and
    the run's own id."""
    return f"{schedule.event[:54]}-{at.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}-{event_id[:8]}"


class ScheduleRunner(BackgroundLoop):
    """Runs every schedule of the stack's template once per interval (the first time one interval
    after `start`), in a thread of its own; a run that fails is printed and the others go on."""

    def __init__(self, stack: LocalStack, interval: float) -> None:
        self.schedules = tpl.schedules(stack.provisioned.template, stack.provisioned.resolver)
        self.interval = interval
        self._stack = stack
        self._sfn = stack.client("stepfunctions")
        super().__init__(name="schedules")

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            for schedule in self.schedules:
                try:
                    self.run(schedule)
                except Exception:
                    traceback.print_exc()

    def run(self, schedule: tpl.Schedule) -> str | None:
        """One run of `schedule`: the ARN of the execution it started, None for a function."""
        at, event_id = datetime.now(UTC), str(uuid.uuid4())
        resolver = self._stack.provisioned.resolver
        payload = schedule.input
        if payload is None:
            payload = json.dumps(service_event(schedule, resolver.region, tpl.ACCOUNT_ID, at, event_id))
        if schedule.target_type == "AWS::Serverless::Function":
            self._stack.functions.invoke(schedule.target, json.loads(payload))
            return None
        started = self._sfn.start_execution(
            stateMachineArn=self._stack.ref(schedule.target),
            name=execution_name(schedule, at, event_id),
            input=payload,
        )
        arn: str = started["executionArn"]
        return arn
