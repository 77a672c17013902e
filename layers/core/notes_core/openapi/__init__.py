"""The API's OpenAPI document, generated from notes_core's models by `make openapi`
(notes_core.openapi.generate) and shipped in the layer, so serving it costs a file read."""

from functools import cache
from importlib.resources import files


@cache
def published_document() -> str:
    return (files(__package__) / "openapi.json").read_text(encoding="utf-8")
