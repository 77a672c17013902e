"""The guides link to what exists: every relative link of README.md, CONTRIBUTING.md and docs/
names a file of the repository and, with an anchor, one of that file's headings (as GitHub makes
anchors of them)."""

import re
from pathlib import Path

import pytest

from local import template as tpl

PAGES = [tpl.ROOT / "README.md", tpl.ROOT / "CONTRIBUTING.md", *sorted((tpl.ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE_BLOCK = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)


def _anchors(page: Path) -> set[str]:
    """GitHub's anchor of each heading: lower case, punctuation but hyphens dropped, spaces as hyphens."""
    headings = re.findall(r"^#{1,6} (.+)$", CODE_BLOCK.sub("", page.read_text(encoding="utf-8")), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def _broken_links(page: Path) -> list[str]:
    broken = []
    for target in LINK.findall(CODE_BLOCK.sub("", page.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists() or (anchor and anchor not in _anchors(linked)):
            broken.append(target)
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(tpl.ROOT).as_posix())
def test_every_relative_link_names_a_file_and_a_heading_that_exist(page: Path) -> None:
    assert _broken_links(page) == []
