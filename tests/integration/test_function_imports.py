"""What a function's cold start imports: only what the functions use (docs: cold starts matter)."""

import json
import os
import subprocess
import sys

from local import template as tpl
from local.functions import LAYER_PATH
from local.stack import LocalStack

# Heavy packages no function uses: boto3 (its clients are botocore's, built by notes_core.data.aws;
# importing boto3 adds s3transfer and its resource layer, ~35 ms) and pydantic (~0.13 s).
UNUSED = ("boto3", "s3transfer", "pydantic")
# The image libraries: only the media-events worker uses them, and it imports them inside its check
# (notes_core.domain.images), so no function's cold start pays for them, not even the worker's.
IMAGE_LIBRARIES = ("PIL", "pillow_heif")
# The token verifiers: only the WebSocket authorizer uses them, imported by its first check of a
# signature (notes_core.domain.tokens, notes_core.data.jwks): a connection refused for the token's
# form, before any key is needed, never loads them.
JWT_LIBRARIES = ("joserfc", "cryptography")


def test_no_function_imports_what_none_uses(stack: LocalStack) -> None:
    # Given every function of the template, imported as Lambda imports it (its code directory and
    # the layer on the path), in one fresh process with the functions' environment
    handlers = [tpl.handler_module(properties) for properties in stack.provisioned.functions.values()]
    program = (
        "import importlib, json, sys\n"
        f"sys.path[:0] = [{str(tpl.ROOT)!r}, {str(LAYER_PATH)!r}]\n"
        f"for module, attribute in {handlers!r}:\n"
        "    getattr(importlib.import_module(module), attribute)\n"
        "print(json.dumps(sorted(name for name in sys.modules if '.' not in name)))\n"
    )

    # When they are all imported
    ran = subprocess.run(
        [sys.executable, "-c", program],
        env={**os.environ, "LAMBDA_TASK_ROOT": str(tpl.ROOT)},
        cwd=tpl.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    # Then none of them brought in a package no function uses, nor the image or token libraries
    imported = set(json.loads(ran.stdout.strip().splitlines()[-1]))
    assert "notes_core" in imported
    assert imported.isdisjoint(UNUSED), sorted(imported & set(UNUSED))
    assert imported.isdisjoint(IMAGE_LIBRARIES), sorted(imported & set(IMAGE_LIBRARIES))
    assert imported.isdisjoint(JWT_LIBRARIES), sorted(imported & set(JWT_LIBRARIES))
