"""template.yaml as SAM's transform hands it to CloudFormation, for the tier's tests: one process
of sam-cli's own Python running tests/template/sam_transform.py over every case (samtranslator
takes ~1 s to load)."""

import json
import os
import shlex
import subprocess
import tomllib
from typing import Any

from local import template as tpl

SAM_PYTHON = tpl.ROOT / ".venv-sam" / "bin" / "python"
SAMCONFIG = tomllib.loads((tpl.ROOT / "samconfig.toml").read_text(encoding="utf-8"))


def samconfig_overrides(environment: str) -> dict[str, str]:
    """The parameter values `sam deploy --config-env <environment>` passes."""
    text = SAMCONFIG[environment]["deploy"]["parameters"]["parameter_overrides"]
    return dict(item.split("=", 1) for item in shlex.split(text))


def transform(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each case (`{"parameters": {...}, "layer_keys": {...}}`, sam_transform.py) transformed."""
    assert SAM_PYTHON.is_file(), "sam-cli's virtualenv is missing: run `make template`"
    finished = subprocess.run(
        [str(SAM_PYTHON), str(tpl.ROOT / "tests" / "template" / "sam_transform.py")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    templates: list[dict[str, Any]] = json.loads(finished.stdout)
    return templates
