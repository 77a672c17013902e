"""What every benchmark shares: its --runs argument, and printing its figures and saving them to
bench/results/<name>.txt under a heading (date, command line, Python)."""

import argparse
import platform
import shlex
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ROOT = RESULTS_DIR.parent.parent


def parse_runs(module: str, description: str, argv: Sequence[str], default: int, minimum: int) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("--runs", type=int, default=default, help=f"runs per measurement (>= {minimum})")
    runs: int = parser.parse_args(argv).runs
    if runs < minimum:
        parser.error(f"--runs must be at least {minimum}")
    return runs


def command_line(module: str, argv: Sequence[str]) -> str:
    python = Path(sys.executable)
    shown = str(python.relative_to(ROOT)) if python.is_relative_to(ROOT) else str(python)
    return shlex.join([shown, "-m", module, *argv])


def publish(module: str, argv: Sequence[str], started: datetime, text: str) -> None:
    """Print the figures and save them to bench/results/<last part of module>.txt."""
    print(text, end="")
    heading = (
        f"date: {started.isoformat(timespec='seconds')}\n"
        f"command: {command_line(module, argv)}\n"
        f"python: {platform.python_version()} ({platform.machine()})\n\n"
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{module.rsplit('.', 1)[-1]}.txt").write_text(heading + text)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned first column, then right-aligned ones; each column as wide as its widest cell."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    return [line(header), line(tuple("-" * width for width in widths)), *(line(row) for row in rows)]
