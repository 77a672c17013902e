"""What the media-events worker's image check (notes_core.domain.images.is_image) costs, per file.

What is measured, for each file below:
- warm: the check alone, in this process after one unrecorded check (the libraries imported);
- first: the first check of a fresh Python process that has imported notes_core.domain.images (as the
  worker has at its cold start): the check's own imports of Pillow, the type's plugin and
  pillow-heif included, what the worker's first image of each type pays;
- memory: that process's peak resident set (VmHWM, Linux) before and after the check.
The files, made here by Pillow from noise (which compresses least, so a file of a given size
carries the most data to parse): about 10 MiB of each type the service takes, HEIC excepted (x265
takes seconds per megapixel of noise: a 1-megapixel one); and the cheapest files to send whose
headers claim the most pixels the check accepts, 9459 x 9459 (~89.5 megapixels), in one colour:
what a decompression bomb would be if the check decoded pixels. Figures are printed and written to
bench/results/image_check.txt; nothing is asserted.

    python -m bench.image_check [--runs N]
"""

import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pillow_heif
from PIL import Image

from bench.results_file import parse_runs, publish
from local.functions import LAYER_PATH, use_layer_and_functions_path

use_layer_and_functions_path()
from notes_core.contract.bodies.media import MAX_MEDIA_BYTES  # noqa: E402
from notes_core.domain import images  # noqa: E402 (the layer is on the path from here)

MODULE = "bench.image_check"
DEFAULT_RUNS = 7
MIN_RUNS = 3
LIMIT_SIDE = 9459  # the largest square within images.MAX_PIXELS
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP", "image/heic": "HEIF"}
# One check in a fresh process: argv = layer path, content type, file; prints seconds and ru_maxrss.
# VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's peak (it survives exec).
CHILD = """
import json, re, sys, time
sys.path.insert(0, sys.argv[1])
from notes_core import images
def peak_kib():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
content_type, data = sys.argv[2], open(sys.argv[3], "rb").read()
before = peak_kib()
started = time.perf_counter()
accepted = images.is_image(content_type, data)
seconds = time.perf_counter() - started
print(json.dumps({"accepted": accepted, "seconds": seconds, "before_kib": before, "peak_kib": peak_kib()}))
"""


@dataclass(frozen=True)
class Sample:
    name: str
    content_type: str
    data: bytes
    pixels: int


def _encode(picture: Image.Image, content_type: str, **options: Any) -> bytes:
    written = io.BytesIO()
    picture.save(written, format=FORMATS[content_type], **options)
    return written.getvalue()


def _noise(side: int, mode: str) -> Image.Image:
    bands = [Image.effect_noise((side, side), 64) for _ in range(1 if mode == "L" else 3)]
    return bands[0] if mode == "L" else Image.merge("RGB", bands)


def _near_10_mib(content_type: str, mode: str, **options: Any) -> Sample:
    """Noise of the type, sized from a small sample's bytes per pixel to just under 10 MiB."""
    probe = 512
    per_pixel = len(_encode(_noise(probe, mode), content_type, **options)) / probe**2
    side = int((MAX_MEDIA_BYTES * 0.95 / per_pixel) ** 0.5)
    data = _encode(_noise(side, mode), content_type, **options)
    while len(data) > MAX_MEDIA_BYTES:
        side = int(side * 0.97)
        data = _encode(_noise(side, mode), content_type, **options)
    return Sample(f"{content_type} noise {side}x{side}", content_type, data, side * side)


def _samples() -> list[Sample]:
    pillow_heif.register_heif_opener()
    made = [
        _near_10_mib("image/jpeg", "RGB", quality=95),
        _near_10_mib("image/png", "RGB"),
        _near_10_mib("image/gif", "L"),
        _near_10_mib("image/webp", "RGB", quality=95),
    ]
    heic_side = 1024
    heic = _encode(_noise(heic_side, "RGB"), "image/heic", quality=90)
    made.append(Sample(f"image/heic noise {heic_side}x{heic_side}", "image/heic", heic, heic_side**2))
    one_colour: list[tuple[str, str, Callable[[], bytes]]] = [
        ("image/jpeg", "RGB", lambda: _encode(Image.new("RGB", (LIMIT_SIDE,) * 2), "image/jpeg")),
        ("image/png", "1", lambda: _encode(Image.new("1", (LIMIT_SIDE,) * 2), "image/png")),
        ("image/gif", "L", lambda: _encode(Image.new("L", (LIMIT_SIDE,) * 2), "image/gif")),
        ("image/webp", "RGB", lambda: _encode(Image.new("RGB", (LIMIT_SIDE,) * 2), "image/webp", lossless=True)),
    ]
    for content_type, mode, encode in one_colour:
        name = f"{content_type} one colour {LIMIT_SIDE}x{LIMIT_SIDE} ({mode})"
        made.append(Sample(name, content_type, encode(), LIMIT_SIDE**2))
    return made


def _warm(sample: Sample, runs: int) -> list[float]:
    assert images.is_image(sample.content_type, sample.data), sample.name  # and warms the plugin
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        images.is_image(sample.content_type, sample.data)
        seconds.append(time.perf_counter() - started)
    return seconds


def _fresh(sample: Sample, directory: Path, runs: int) -> list[dict[str, Any]]:
    path = directory / "image"
    path.write_bytes(sample.data)
    results = []
    for _ in range(runs):
        ran = subprocess.run(
            [sys.executable, "-c", CHILD, str(LAYER_PATH), sample.content_type, str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(ran.stdout.strip().splitlines()[-1]))
    return results


def main(argv: Sequence[str]) -> None:
    runs = parse_runs(MODULE, __doc__.splitlines()[0], argv, DEFAULT_RUNS, MIN_RUNS)
    started = datetime.now(UTC)
    samples = _samples()
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for sample in samples:
            warm = _warm(sample, runs)
            fresh = _fresh(sample, Path(directory), runs)
            assert all(result["accepted"] for result in fresh), sample.name
            rows.append(
                (
                    sample.name,
                    f"{len(sample.data) / 1024 / 1024:.2f}",
                    f"{sample.pixels / 1e6:.1f}",
                    f"{statistics.median(warm) * 1000:.2f}",
                    f"{max(warm) * 1000:.2f}",
                    f"{statistics.median(result['seconds'] for result in fresh) * 1000:.0f}",
                    f"{max(result['peak_kib'] for result in fresh) / 1024:.0f}",
                    f"{max(result['peak_kib'] - result['before_kib'] for result in fresh) / 1024:.0f}",
                )
            )
    header = ("file", "MiB", "Mpx", "warm ms", "max ms", "first ms", "peak MiB", "+MiB")
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        f"notes_core.domain.images.is_image per file: {runs} warm checks after one unrecorded (median, max);",
        f"first = the first check of a fresh process, imports included (median of {runs});",
        "peak = that process's peak resident set after the check (VmHWM); +MiB = what the check added to it.",
        "",
        "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(header)),
        "-" * (sum(widths) + 2 * (len(widths) - 1)),
        *(
            "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
            for row in rows
        ),
        "",
    ]
    publish(MODULE, argv, started, "\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
