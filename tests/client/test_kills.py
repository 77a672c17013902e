"""A device's process killed (SIGKILL) at every step of a sync, then started again: nothing it
had is lost, nothing is applied twice. A step is each write transaction (killed before it
commits) and each answer of the server (killed after the server acted, before the device heard);
tests/client/killed_sync.py counts them. For each step in turn, a fresh scenario:

- device B has written two notes; device A pulled them, then, offline, typed a word into the first,
  created a third note and trashed the second; B meanwhile retitled the first and synced;
- A's sync is killed at the step; A starts again, types another word into the first note (on top
  of whatever was in flight), and syncs to the end; so does B.

Then A and B hold the same notes, each of A's words is in the first note once, the third note
exists once, the second is in the trash, and B's title stands."""

import subprocess
import sys
from pathlib import Path

import pytest

from local import template as tpl
from notes_sync_client import Client
from tests.client.conftest import PASSWORD, new_account
from tests.support.local_process import LocalProcess

MAX_STEPS = 40  # a sync of this scenario takes fewer: the test stops at the first run that is not killed


def _scenario(stack: LocalProcess, folder: Path) -> tuple[Client, Path, dict[str, str]]:
    email, device_b = new_account(stack.base_url, folder / "b")
    first = device_b.create("shopping", "milk eggs")
    second = device_b.create("ideas", "garden")
    device_b.sync()
    with Client(stack.base_url, folder / "a") as device_a:
        device_a.sign_in(email, PASSWORD)
        device_a.sync()
        device_a.edit(first, content="milk eggs bread")
        third = device_a.create("todo", "call mum")
        device_a.trash(second)
    device_b.edit(first, title="Shopping list")
    device_b.sync()
    return device_b, folder / "a", {"first": first, "second": second, "third": third}


def _killed_sync(stack: LocalProcess, profile: Path, step: int) -> int:
    command = [sys.executable, "-m", "tests.client.killed_sync", stack.base_url, str(profile), str(step)]
    return subprocess.run(command, cwd=tpl.ROOT, capture_output=True, timeout=60, check=False).returncode


def test_a_sync_killed_at_any_step_loses_and_doubles_nothing(local_stack: LocalProcess, tmp_path: Path) -> None:
    killed_at: list[int] = []
    for step in range(1, MAX_STEPS + 1):
        # Given the scenario, and A's sync killed at this step
        device_b, profile_a, ids = _scenario(local_stack, tmp_path / f"step-{step}")
        code = _killed_sync(local_stack, profile_a, step)
        assert code in (0, -9), f"step {step}: the sync failed ({code})"

        # When A starts again, edits on top, and syncs to the end; then B syncs
        with Client(local_stack.base_url, profile_a) as device_a:
            note = device_a.note(ids["first"])
            assert note is not None
            device_a.edit(ids["first"], content=note.content + " butter")
            device_a.sync()
            device_b.sync()
            device_a.sync()

            # Then both hold the same notes, every edit once
            held_a = {n.id: (n.title, n.content, n.trashed, n.version) for n in device_a.notes(trashed=None)}
            held_b = {n.id: (n.title, n.content, n.trashed, n.version) for n in device_b.notes(trashed=None)}
            assert held_a == held_b, f"step {step}"
            assert held_a[ids["first"]][:2] == ("Shopping list", "milk eggs bread butter"), f"step {step}"
            assert held_a[ids["second"]][2] is True, f"step {step}"
            assert [n.content for n in device_a.notes()].count("call mum") == 1, f"step {step}"
            assert device_a.store.outbox() == [], f"step {step}"
        device_b.close()
        if code == 0:
            break
        killed_at.append(step)
    else:
        pytest.fail(f"the sync was still killed at step {MAX_STEPS}")

    assert len(killed_at) >= 5  # the push kept, its answer, its results applied, a page, the page applied
