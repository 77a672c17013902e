"""docs/architecture.md draws the whole system: every function, queue, state machine and schedule
of template.yaml is a box of its diagram, named by its logical id, and no box names one that is
gone."""

import re

from local import template as tpl

TEMPLATE = tpl.load()
DIAGRAM_PAGE = tpl.ROOT / "docs" / "architecture.md"
DRAWN_TYPES = ("AWS::Serverless::Function", "AWS::SQS::Queue", "AWS::Serverless::StateMachine")
# A box of a mermaid flowchart: its id, then the bracket that opens its label (`Id["..."]`,
# `Id[("...")]`, `Id[["..."]]`, `Id{{"..."}}`, `Id(["..."])`).
BOX = re.compile(r"^\s*(\w+)[\[({]", re.MULTILINE)


def _diagram() -> str:
    diagram: str
    (diagram,) = re.findall(
        r"^```mermaid\n(.*?)^```", DIAGRAM_PAGE.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE
    )
    return diagram


def _boxes() -> set[str]:
    return set(BOX.findall(_diagram()))


def _schedules() -> set[str]:
    """The schedule each Schedule or ScheduleV2 event makes, by the logical id SAM gives it: the
    resource's id and the event's name (test_sam_transform.py checks SAM names them so)."""
    return {
        f"{logical_id}{event_name}"
        for logical_id, resource in TEMPLATE["Resources"].items()
        for event_name, event in resource.get("Properties", {}).get("Events", {}).items()
        if event["Type"] in tpl.SCHEDULE_EVENT_TYPES
    }


def _drawn_resources() -> set[str]:
    return {name for name, resource in TEMPLATE["Resources"].items() if resource["Type"] in DRAWN_TYPES}


def test_every_function_queue_state_machine_and_schedule_is_a_box_of_the_diagram() -> None:
    # Given the functions, queues, state machines and schedules of the template
    expected = _drawn_resources() | _schedules()

    # When the diagram's boxes are read
    boxes = _boxes()

    # Then each of them is one
    assert expected - boxes == set(), "draw them in docs/architecture.md"


def test_no_box_names_a_function_queue_state_machine_or_schedule_that_is_gone() -> None:
    named_like_one = {box for box in _boxes() if box.endswith(("Function", "Queue", "StateMachine"))}
    schedules = {box for box in _boxes() if re.search(r"StateMachine\w+$|Function\w+$", box)}

    assert named_like_one - _drawn_resources() == set()
    assert schedules - _schedules() == set()
