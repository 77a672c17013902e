"""How well three-way merges of a note's content do, ours beside other tools, on generated pairs.

The pairs are tests.support.edits': notes of three shapes (paragraphs of prose, one long line, a
markdown checklist) written from a vocabulary whose words and sentence openings repeat, at 300,
3,000, 30,000 and 100,000 characters; two edits of each note made from the same base, of the kinds
that module lists. A disjoint pair's answer is the base with both edits, each exactly as made (an
edit made on both sides, once); an overlapping pair's answer is a refusal. Each tool's answer is
correct, refused (a refusal where a text was owed: the user chooses), or wrong (any other text: a
silent wrong merge).

Tools, each given (base, current, edited):
- ours: notes_core.engine.merge.merge (word-level, exact or refused);
- git: `git merge-file -p current base edited`, line-level (conflict markers: refused);
- merge3: the merge3 package on lines (a conflict region: refused);
- diff-match-patch: patch_make(base, edited) applied to current by patch_apply (a patch that does
  not apply: refused);
- pycrdt: a Yjs text (Yrs) holding the base, each side's edits applied as made (character splices
  from the generator, not a diff) on its own copy, then the two copies synced. A CRDT never refuses.

For each kind (disjoint, overlapping) x shape x size the table gives correct/refused/wrong per tool
and the median time per merge in milliseconds (the whole call: git's includes writing three files
and running git). Nothing is asserted; figures are printed and written to
bench/results/merge_quality.txt.

    python -m bench.merge_quality [--scale N]   # N times the default pairs (2,760)
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.results_file import publish
from local.functions import use_layer_and_functions_path
from tests.support.edits import DISJOINT, OVERLAPPING, SHAPES, MergeCase, merge_cases

MODULE = "bench.merge_quality"
# pairs per kind of pair, shape and size: fewer of the long notes, which the slower tools take
# seconds each to merge
PAIRS_PER_SIZE = {300: 50, 3_000: 30, 30_000: 8, 100_000: 4}
KINDS = {"disjoint": DISJOINT, "overlapping": OVERLAPPING}
OUTCOMES = ("correct", "refused", "wrong")

Merge = Callable[[MergeCase], str | None]


def ours(case: MergeCase) -> str | None:
    from notes_core.engine.merge import merge

    return merge(case.base, case.current, case.edited)


def git(case: MergeCase) -> str | None:
    with tempfile.TemporaryDirectory() as directory:
        paths = [Path(directory, name) for name in ("current", "base", "edited")]
        for path, text in zip(paths, (case.current, case.base, case.edited), strict=True):
            path.write_text(text)
        # exit status: the number of conflicts (0: merged); markers are in the output then
        done = subprocess.run(
            ["git", "merge-file", "-p", *map(str, paths)], check=False, capture_output=True, text=True
        )
    if done.returncode < 0 or done.returncode > 127:
        raise RuntimeError(done.stderr)
    return done.stdout if done.returncode == 0 else None


def merge3_lines(case: MergeCase) -> str | None:
    import merge3

    base, current, edited = (text.splitlines(keepends=True) for text in (case.base, case.current, case.edited))
    merged = merge3.Merge3(base, current, edited)
    text: list[str] = []
    for region in merged.merge_regions():
        match region[0]:
            case "unchanged":
                text += merged.base[region[1] : region[2]]
            case "a" | "same":
                text += merged.a[region[1] : region[2]]
            case "b":
                text += merged.b[region[1] : region[2]]
            case _:
                return None
    return "".join(text)


def diff_match_patch(case: MergeCase) -> str | None:
    from diff_match_patch import diff_match_patch as Dmp  # type: ignore[import-untyped]  # no type hints

    tool = Dmp()
    text, applied = tool.patch_apply(tool.patch_make(case.base, case.edited), case.current)
    return text if all(applied) else None


def pycrdt(case: MergeCase) -> str | None:
    from pycrdt import Doc, Text

    origin: Doc[Text] = Doc()
    origin["content"] = Text(case.base)
    start = origin.get_update()
    sides = []
    for splices in (case.current_splices, case.edited_splices):
        doc: Doc[Text] = Doc()
        doc.apply_update(start)
        content = doc.get("content", type=Text)
        for begin, end, new in sorted(splices, reverse=True):  # from the end: offsets stay right
            if end > begin:
                del content[begin:end]
            if new:
                content.insert(begin, new)
        sides.append((doc, content))
    (one, one_text), (other, other_text) = sides
    one.apply_update(other.get_update(one.get_state()))
    other.apply_update(one.get_update(other.get_state()))
    if str(one_text) != str(other_text):
        raise RuntimeError("the two copies did not converge")
    return str(one_text)


TOOLS: dict[str, Merge] = {
    "ours": ours,
    "git merge-file": git,
    "merge3 (lines)": merge3_lines,
    "diff-match-patch": diff_match_patch,
    "pycrdt (Yjs)": pycrdt,
}


@dataclass
class Tally:
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    seconds: list[float] = field(default_factory=list)

    def add(self, outcome: str, seconds: float) -> None:
        self.outcomes[outcome] += 1
        self.seconds.append(seconds)

    def cell(self) -> str:
        counts = "/".join(str(self.outcomes[outcome]) for outcome in OUTCOMES)
        return f"{counts} {statistics.median(self.seconds) * 1000:.1f}"


def judge(case: MergeCase, merged: str | None) -> str:
    if merged == case.expected:
        return "correct"
    return "refused" if merged is None else "wrong"


def run(scale: int) -> tuple[dict[tuple[str, str, int], dict[str, Tally]], dict[tuple[str, str], dict[str, Tally]]]:
    """Tallies per (kind, shape, size) and per (kind, kind of pair), each per tool."""
    cells: dict[tuple[str, str, int], dict[str, Tally]] = {}
    kinds: dict[tuple[str, str], dict[str, Tally]] = {}
    for kind, pair_kinds in KINDS.items():
        for shape in SHAPES:
            for size, pairs in PAIRS_PER_SIZE.items():
                cell = cells.setdefault((kind, shape, size), {tool: Tally() for tool in TOOLS})
                for case in merge_cases(pair_kinds, shape, size, pairs * scale):
                    for tool, merge in TOOLS.items():
                        started = time.perf_counter()
                        merged = merge(case)
                        seconds = time.perf_counter() - started
                        outcome = judge(case, merged)
                        cell[tool].add(outcome, seconds)
                        kinds.setdefault((kind, case.kind), {name: Tally() for name in TOOLS})[tool].add(
                            outcome, seconds
                        )
    return cells, kinds


def total(tallies: Sequence[Tally]) -> Tally:
    summed = Tally()
    for tally in tallies:
        for outcome in OUTCOMES:
            summed.outcomes[outcome] += tally.outcomes[outcome]
        summed.seconds += tally.seconds
    return summed


def report(
    cells: dict[tuple[str, str, int], dict[str, Tally]], kinds: dict[tuple[str, str], dict[str, Tally]], scale: int
) -> str:
    width = 20
    counts = [f"{pairs * scale} at {size:,}" for size, pairs in PAIRS_PER_SIZE.items()]
    header = f"{'':<31}" + "".join(f"{tool:>{width}}" for tool in TOOLS)
    lines = [
        "Three-way merges of generated pairs of edits (tests.support.edits), per tool:",
        "correct/refused/wrong, then the median milliseconds per merge. Disjoint pairs owe both edits,",
        "overlapping pairs a refusal (a text is wrong).",
        f"Pairs per kind of pair, shape and size: {', '.join(counts)}.",
        "",
        header,
        "-" * len(header),
    ]
    for kind in KINDS:
        for shape in SHAPES:
            for size in PAIRS_PER_SIZE:
                row = cells[(kind, shape, size)]
                label = f"{kind} {shape} {size:,}"
                lines.append(f"{label:<31}" + "".join(f"{row[tool].cell():>{width}}" for tool in TOOLS))
        summed = {tool: total([cells[key][tool] for key in cells if key[0] == kind]) for tool in TOOLS}
        lines.append(f"{kind + ', all':<31}" + "".join(f"{summed[tool].cell():>{width}}" for tool in TOOLS))
        lines.append("")
    lines += ["By kind of pair (all shapes and sizes):", "", header, "-" * len(header)]
    for (kind, pair_kind), row in kinds.items():
        label = f"{kind} {pair_kind}"
        lines.append(f"{label:<31}" + "".join(f"{row[tool].cell():>{width}}" for tool in TOOLS))
    return "\n".join(lines) + "\n"


# Texts of 100,000 characters that cost our merge the most: long tokens built of marks or joiners,
# many tokens to a character, no token occurring once (patience diff's anchors).
WORST_CASES = {
    "'a' + combining acute x50,000 (one token)": "a\u0301" * 50_000,
    "zero-width joiner x100,000 (one token)": "\u200d" * 100_000,
    "thumbs up + skin tone + space x33,333": "\N{THUMBS UP SIGN}\N{EMOJI MODIFIER FITZPATRICK TYPE-4} " * 33_333,
    "'.' x100,000 (no token once)": "." * 100_000,
    "'a ' x50,000 (no token once)": "a " * 50_000,
    "prose (paragraphs, tests.support.edits)": "",  # filled in by worst_cases()
}
WORST_CASE_RUNS = 5


def worst_cases() -> str:
    """Median time of a merge of two edits of each text (its first and its last character
    replaced), the merge's caches emptied before each run."""
    from notes_core.engine import merge as merging

    prose = next(merge_cases(("word",), "paragraphs", 100_000, 1)).base[:100_000]
    lines = [
        "Single merges of 100,000-character texts, the first character replaced on one side and the last",
        f"on the other; median of {WORST_CASE_RUNS} runs, the merge's caches emptied before each:",
        "",
    ]
    for name, text in WORST_CASES.items():
        base = text or prose
        seconds, answers = [], set()
        for _ in range(WORST_CASE_RUNS):
            merging._tokens.cache_clear()  # a request's first merge of these texts
            merging._hunks.cache_clear()
            started = time.perf_counter()
            merged = merging.merge(base, "X" + base[1:], base[:-1] + "Y")
            seconds.append(time.perf_counter() - started)
            answers.add("refused" if merged is None else "merged")
        lines.append(f"{name:<48}{statistics.median(seconds) * 1000:>8.1f} ms  {'/'.join(sorted(answers))}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--scale", type=int, default=1, help="run N times the default number of pairs (>= 1)")
    scale: int = parser.parse_args(arguments).scale
    if scale < 1:
        parser.error("--scale must be at least 1")
    started = datetime.now(UTC)
    use_layer_and_functions_path()
    cells, kinds = run(scale)
    publish(MODULE, arguments, started, report(cells, kinds, scale) + "\n" + worst_cases())


if __name__ == "__main__":
    main()
