"""The command's parts that need no server: usage errors and progress."""

import pytest

from notes_sync_client.cli import Progress, main


def test_without_an_api_the_command_is_wrong_usage(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTES_SYNC_API", raising=False)

    code = main(["ls"])

    assert (code, capsys.readouterr().err) == (2, "notes-sync: no API: give --api URL or set NOTES_SYNC_API\n")


def test_a_long_pull_shows_a_line_per_thousand_notes_when_not_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    # Given the progress of a pull of 2,600 notes, page by page
    progress = Progress()

    # When each page arrives
    for count in range(200, 2601, 200):
        progress(count)

    # Then stderr (not a terminal here) has a line as each thousand is passed
    assert capsys.readouterr().err == "pulled 1000 notes\npulled 2000 notes\n"
