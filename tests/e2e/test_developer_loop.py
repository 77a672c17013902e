"""The developer's loop without Docker: one function invoked with its fixture, and `make help`."""

import json
import os
import re
import shlex
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


def _documented_piped_invoke() -> list[str]:
    """The `make invoke ... | jq` line of docs/local-stack.md, up to the pipe."""
    guide = (tpl.ROOT / "docs" / "local-stack.md").read_text(encoding="utf-8")
    line = re.search(r"^(make invoke [^|\n]+)\| jq", guide, re.MULTILINE)
    assert line, "docs/local-stack.md shows no `make invoke ... | jq`"
    return shlex.split(line.group(1))


def test_make_invoke_prints_the_functions_answer_alone_so_it_pipes_into_jq() -> None:
    # Given the command the guide pipes into jq, typed at a shell (no make above it)
    command = _documented_piped_invoke()
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("MAKE", "MFLAGS"))}

    # When it runs
    ran = subprocess.run(
        command, cwd=tpl.ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False
    )

    # Then stdout is the function's answer and nothing else: JSON from its first byte to its last
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["statusCode"] == 201
    assert "local.invoke" not in ran.stdout  # make's echo of its command line


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
