"""The developer's loop without Docker: one function invoked with its fixture, and `make help`."""

import json
import subprocess
import sys

from local import template as tpl


def test_invoke_runs_one_function_with_an_event_and_prints_its_response() -> None:
    # When a function is invoked with an event file, as `make invoke` does
    ran = subprocess.run(
        [sys.executable, "-m", "local.invoke", "NotesCreateFunction", "events/notes_create.json"],
        cwd=tpl.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    # Then stdout is its response alone (its logs go to stderr), the note the fixture creates
    response = json.loads(ran.stdout)
    assert response["statusCode"] == 201
    assert json.loads(response["body"])["title"] == "Groceries"
    assert '"level":"INFO"' not in ran.stdout


def test_invoke_refuses_a_function_the_template_does_not_have() -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "local.invoke", "NoSuchFunction"],
        cwd=tpl.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert ran.returncode == 2
    assert "NoSuchFunction" in ran.stderr


def test_make_help_lists_the_developer_targets() -> None:
    ran = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=tpl.ROOT, capture_output=True, text=True, check=True
    )

    listed = {line.split()[1] for line in ran.stdout.splitlines() if line.strip().startswith("make ")}
    assert {"run", "test", "invoke", "sam-env", "build", "deploy", "help"} <= listed
