"""template.yaml as SAM's transform hands it to CloudFormation, for the tier's tests (transformed.py).

Run by `.venv-sam/bin/python` (samtranslator is sam-cli's, in its own virtualenv): reads a JSON list
of cases `{"parameters": {...}, "layer_keys": {"CoreLayer": "...", ...}}` on stdin and writes the
transformed templates as a JSON list. Each case first gets the template as `sam package` leaves it:
every local CodeUri and DefinitionUri an S3 URI, and each layer's ContentUri the S3 key its content
would be uploaded under (the case names it, so a test can change one layer alone).
"""

import json
import sys
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"


class NoManagedPolicies:
    """The template names no AWS managed policy, so none is looked up (that would call IAM)."""

    def load(self) -> dict[str, str]:
        return {}


def packaged(layer_keys: dict[str, str]) -> dict[str, Any]:
    template: dict[str, Any] = yaml_parse(TEMPLATE_PATH.read_text(encoding="utf-8"))
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "DefinitionUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://artifacts/{properties[key].strip('/')}"
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            properties["ContentUri"] = f"s3://artifacts/{logical_id}/{layer_keys[logical_id]}"
    return template


def main() -> None:
    cases = json.load(sys.stdin)
    transformed = [transform(packaged(case["layer_keys"]), case["parameters"], NoManagedPolicies()) for case in cases]
    json.dump(transformed, sys.stdout)


if __name__ == "__main__":
    main()
