"""local.schedules: what the local stack's schedules send, and how often."""

import re
from datetime import UTC, datetime

import pytest

from local import template as tpl
from local.schedules import execution_name, interval_seconds, service_event

AT = datetime(2026, 11, 29, 14, 5, 9, 123000, tzinfo=UTC)


def _schedule(event_type: str, name: str | None = None) -> tpl.Schedule:
    return tpl.Schedule("PurgeTrashStateMachine", "AWS::Serverless::StateMachine", "Daily", event_type, "", None, name)


def test_a_rule_without_input_sends_eventbridges_scheduled_event() -> None:
    event = service_event(_schedule("Schedule"), "eu-west-1", "123456789012", AT, "e1")

    assert event == {
        "version": "0",
        "id": "e1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-29T14:05:09Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/PurgeTrashStateMachineDaily"],
        "detail": {},
    }


def test_a_scheduler_schedule_without_input_sends_its_default_notification() -> None:
    event = service_event(_schedule("ScheduleV2", name="purge"), "eu-west-1", "123456789012", AT, "e1")

    assert event["source"] == "aws.scheduler"
    assert event["detail-type"] == "Scheduled Event"
    assert event["resources"] == ["arn:aws:scheduler:eu-west-1:123456789012:schedule/default/purge"]
    assert event["detail"] == "{}"


def test_each_run_has_an_execution_name_of_its_own_that_step_functions_accepts() -> None:
    first = execution_name(_schedule("ScheduleV2"), AT, "0f1e2d3c-aaaa-4bbb-8ccc-000000000001")
    same_second = execution_name(_schedule("ScheduleV2"), AT, "9a8b7c6d-aaaa-4bbb-8ccc-000000000002")

    assert first == "Daily-20261129T140509Z-0f1e2d3c"
    assert same_second != first
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,80}", first)


@pytest.mark.parametrize(("given", "seconds"), [(None, 300.0), ("1", 1.0), ("0.5", 0.5)])
def test_the_interval_comes_from_local_schedule_seconds(given: str | None, seconds: float) -> None:
    assert interval_seconds({} if given is None else {"LOCAL_SCHEDULE_SECONDS": given}) == seconds


@pytest.mark.parametrize("given", ["0", "-1", "soon", "inf", "nan"])
def test_an_interval_that_is_not_a_positive_number_is_refused(given: str) -> None:
    with pytest.raises(ValueError, match="LOCAL_SCHEDULE_SECONDS must be a number of seconds above 0"):
        interval_seconds({"LOCAL_SCHEDULE_SECONDS": given})
