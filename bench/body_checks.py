"""What reading a request body costs beside decoding it: the nesting check made before any decoder
runs, and the repeated-name check after (notes_core.contract.json_text), on bodies of 5 MiB, the
most the API takes, and on issue 17's 3 KB sign-in.

For each body, in this process (no Lambda, no HTTP): outlining it and checking its depth; decoding
it with msgspec as notes_core.edge.http does (untyped); checking its names; and the whole of
notes_core.edge.http.json_body with the route's model (which answers 4xx for most of these bodies,
as it should). The first run of each body is a warm-up, not recorded. Also measured once: compiling
the pattern that tells a text too deep, which a function pays at its first body with more than 64
brackets. Figures are printed and written to bench/results/body_checks.txt; nothing is asserted.

    python -m bench.body_checks [--runs N]
"""

import contextlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bench.results_file import parse_runs, publish
from local.functions import use_layer_and_functions_path

MODULE = "bench.body_checks"
DEFAULT_RUNS = 7
MIN_RUNS = 3
MIB = 1024 * 1024
BODY_BYTES = 5 * MIB


def _fill(unit: bytes, prefix: bytes = b"[", suffix: bytes = b"]") -> bytes:
    """`unit` repeated, comma separated, in an array of about BODY_BYTES."""
    count = (BODY_BYTES - len(prefix) - len(suffix)) // (len(unit) + 1)
    return prefix + b",".join([unit] * count) + suffix


def _within_limit(body_of: Callable[[int], Any]) -> bytes:
    """The largest body body_of(size) makes within BODY_BYTES (escapes make its text longer)."""
    size = BODY_BYTES
    while len(text := json.dumps(body_of(size)).encode()) > BODY_BYTES:
        size -= len(text) - BODY_BYTES
    return text


def bodies() -> dict[str, tuple[bytes, str]]:
    """Name -> (body, the model it is read as)."""
    words = 'milk [eggs] "bread" {call Anna} \\ draft, '
    prose = "Meeting at 10:30 with Anna.\nBuy milk, eggs and bread.\n"
    change = {"op": "upsert", "id": "2b3c4d5e-6f7a-4b2c-9d3e-4f5a6b7c8d9e", "base_version": 3, "title": "Trip"}
    return {
        "push of 100 changes (text with brackets, quotes)": (
            _within_limit(lambda size: {"changes": [{**change, "content": (words * size)[: size // 100]}] * 100}),
            "PushRequest",
        ),
        "one note of 5 MiB, prose (no brackets)": (
            _within_limit(lambda size: {"title": "t", "content": (prose * size)[:size]}),
            "CreateNoteRequest",
        ),
        "one note of 5 MiB, brackets in its text": (
            _within_limit(lambda size: {"title": "t", "content": (words * size)[:size]}),
            "CreateNoteRequest",
        ),
        "issue 17: 1,493 levels (3 KB)": (b'{"email":' + b"[" * 1493 + b"]" * 1493 + b"}", "SignInRequest"),
        "2.6 million levels": (b"[" * (BODY_BYTES // 2) + b"]" * (BODY_BYTES // 2), "SignInRequest"),
        "blocks 64 levels deep": (_fill(b"[" * 63 + b"]" * 63), "PushRequest"),
        "blocks 65 levels deep": (_fill(b"[" * 64 + b"]" * 64), "PushRequest"),
        "empty arrays": (_fill(b"[]"), "PushRequest"),
        "integers": (_fill(b"0"), "PushRequest"),
        "small objects": (_fill(b'{"a":0}'), "PushRequest"),
        "empty strings": (_fill(b'""'), "PushRequest"),
        "escaped quotes": (b'{"title": "' + b'\\"' * (BODY_BYTES // 2 - 10) + b'"}', "CreateNoteRequest"),
    }


def _seconds(action: Callable[[], Any]) -> float:
    from notes_core.domain import errors

    started = time.perf_counter()
    with contextlib.suppress(errors.DomainError):  # a refusal (4xx) is an outcome here, not a failure
        action()
    return time.perf_counter() - started


def one_run(body: bytes, model: Any, request: Any) -> dict[str, float]:
    """Seconds of each step for one body (decode and names check: 0 if the body is too deep)."""
    import msgspec

    from notes_core.contract import json_text
    from notes_core.edge.http import json_body

    started = time.perf_counter()
    outline = json_text.Outline(body)
    too_deep = outline.too_deep()
    timings = {"depth check": time.perf_counter() - started, "decode": 0.0, "names check": 0.0}
    if not too_deep:
        started = time.perf_counter()
        value = msgspec.json.decode(body)
        timings["decode"] = time.perf_counter() - started
        started = time.perf_counter()
        outline.repeats_a_name(value)
        timings["names check"] = time.perf_counter() - started
    timings["json_body"] = _seconds(lambda: json_body(request, model))
    return timings


def measure(body: bytes, model_name: str, runs: int) -> dict[str, list[float]]:
    from notes_core.contract.bodies import auth, notes
    from notes_core.edge.http import HttpRequest
    from tests.support.events import fixture

    model = {"SignInRequest": auth.SignInRequest, **vars(notes)}[model_name]
    event = fixture("notes_create")
    event["body"] = body.decode()
    request = HttpRequest(event)
    one_run(body, model, request)  # warm-up
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        for name, seconds in one_run(body, model, request).items():
            samples.setdefault(name, []).append(seconds)
    return samples


def compile_seconds() -> float:
    from notes_core.contract import json_text

    json_text._deeper_than_max.cache_clear()
    return _seconds(json_text._deeper_than_max)


def report(results: dict[str, dict[str, list[float]]], sizes: dict[str, int], compiled: float, runs: int) -> str:
    columns = ["depth check", "decode", "names check", "json_body"]
    header = f"{'body':<50}{'bytes':>10}" + "".join(f"{name:>13}" for name in columns)
    lines = [
        f"Reading request bodies: median ms of {runs} runs after a warm-up (decode and names check: 0 when",
        "the depth check refused the body; json_body includes all three and the model's conversion).",
        "",
        header,
        "-" * len(header),
    ]
    for name, samples in results.items():
        cells = "".join(f"{statistics.median(samples[column]) * 1000:>13.1f}" for column in columns)
        lines.append(f"{name:<50}{sizes[name]:>10,}{cells}")
    lines += ["", f"compiling the too-deep pattern (once per process, on first need): {compiled * 1000:.1f} ms"]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    runs = parse_runs(MODULE, __doc__.splitlines()[0] if __doc__ else "", arguments, DEFAULT_RUNS, MIN_RUNS)
    started = datetime.now(UTC)
    use_layer_and_functions_path()
    compiled = compile_seconds()
    cases = bodies()
    results = {name: measure(body, model, runs) for name, (body, model) in cases.items()}
    sizes = {name: len(body) for name, (body, _) in cases.items()}
    publish(MODULE, arguments, started, report(results, sizes, compiled, runs))


if __name__ == "__main__":
    main()
