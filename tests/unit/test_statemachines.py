"""Static checks of statemachines/*.asl.json: every Task retries with backoff and full jitter and
catches what is left; every ${...} is a DefinitionSubstitution the template gives."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local import template as tpl

MACHINES = sorted((tpl.ROOT / "statemachines").glob("*.asl.json"))


def _states(definition: dict[str, Any], trail: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in definition["States"].items():
        yield f"{trail}{name}", state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _states(processor, f"{trail}{name}/")
        for branch in state.get("Branches", []):
            yield from _states(branch, f"{trail}{name}/")


def _tasks(path: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(name, state) for name, state in _states(json.loads(path.read_text())) if state["Type"] == "Task"]


def test_there_are_the_three_machines() -> None:
    assert [path.name for path in MACHINES] == [
        "delete-account.asl.json",
        "delete-note.asl.json",
        "purge-trash.asl.json",
    ]


@pytest.mark.parametrize("path", MACHINES, ids=lambda path: path.name)
def test_every_task_retries_with_backoff_full_jitter_and_a_cap(path: Path) -> None:
    tasks = _tasks(path)
    assert tasks
    for name, state in tasks:
        assert state.get("Retry"), name
        for retry in state["Retry"]:
            assert retry["JitterStrategy"] == "FULL", name
            assert retry["MaxDelaySeconds"] > 0, name
            assert retry["BackoffRate"] > 1, name
            assert retry["MaxAttempts"] >= 2, name


@pytest.mark.parametrize("path", MACHINES, ids=lambda path: path.name)
def test_every_task_catches_everything_it_does_not_retry_into(path: Path) -> None:
    definition = json.loads(path.read_text())
    names = {name.rsplit("/", 1)[-1] for name, _ in _states(definition)}
    for name, state in _tasks(path):
        assert state.get("Catch"), name
        assert any("States.ALL" in catch["ErrorEquals"] for catch in state["Catch"]), name
        assert all(catch["Next"] in names for catch in state["Catch"]), name


# The deletions leave their failure on the item they delete (a tombstone, the account's counter);
# the trash purge has no one item to record on: its failed execution (and alarm) is the record.
RECORDING = [path for path in MACHINES if path.name.startswith("delete-")]


@pytest.mark.parametrize("path", RECORDING, ids=lambda path: path.name)
def test_failures_are_recorded_before_the_execution_fails(path: Path) -> None:
    states = dict(_states(json.loads(path.read_text())))
    record = states["RecordFailure"]
    assert record["Type"] == "Task"
    assert record["Next"] == "Failed"
    assert states["Failed"]["Type"] == "Fail"


@pytest.mark.parametrize("path", MACHINES, ids=lambda path: path.name)
def test_every_failure_ends_in_a_failed_execution(path: Path) -> None:
    states = dict(_states(json.loads(path.read_text())))
    for name, state in states.items():
        for caught in state.get("Catch", []):
            target = next(s for n, s in states.items() if n.rsplit("/", 1)[-1] == caught["Next"])
            assert target["Type"] in ("Fail", "Task"), name  # straight to Fail, or recorded first


def test_every_substitution_is_given_by_the_template_and_every_arn_comes_from_it() -> None:
    machines = {
        resource["Properties"]["DefinitionUri"]: resource["Properties"]
        for resource in tpl.load()["Resources"].values()
        if resource["Type"] == "AWS::Serverless::StateMachine"
    }
    assert set(machines) == {f"statemachines/{path.name}" for path in MACHINES}
    for uri, properties in machines.items():
        text = (tpl.ROOT / uri).read_text()
        used = set(re.findall(r"\$\{(\w+)\}", text))
        assert used == set(properties["DefinitionSubstitutions"]), uri
        assert not re.search(r"arn:aws:(dynamodb|sqs|s3|cognito-idp):", text), "resource ARNs must be substituted"
