"""docs/deploying.md answers every question of a first `sam deploy --guided`: a row per parameter of
template.yaml, read from the template itself, in the order sam asks them, with its default and
what to answer in production."""

import re

from local import template as tpl

GUIDE = (tpl.ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")
PARAMETERS: dict[str, dict[str, object]] = tpl.load()["Parameters"]
ROW = re.compile(r"^\| `(\w+)` \| (.*?) \| (.*) \|$", re.MULTILINE)
ROWS = {name: (default, answer) for name, default, answer in ROW.findall(GUIDE)}


def _shown(default: object) -> str:
    """A default as the table shows it: `15`, `*`, or "empty"."""
    return "empty" if default in ("", None) else f"`{default}`"


def test_the_table_has_a_row_per_parameter_in_the_order_sam_asks_them() -> None:
    # sam deploy --guided prompts for the template's parameters in the template's order
    assert [name for name, _, _ in ROW.findall(GUIDE)] == list(PARAMETERS)


def test_each_row_shows_the_templates_default_and_an_answer() -> None:
    for name, properties in PARAMETERS.items():
        default, answer = ROWS[name]
        assert default == _shown(properties.get("Default")), name
        assert len(answer.split()) >= 3, name


def test_the_answers_the_first_deploy_gets_wrong_are_spelled_out() -> None:
    assert "**Not `*` for a web app**" in ROWS["CorsAllowedOrigins"][1]
    assert "a refresh does not extend it" in ROWS["RefreshTokenValidityDays"][1]
    assert "no alarm reaches it until someone follows the link" in ROWS["AlarmEmail"][1]
