"""The region `sam deploy` will deploy to, found where sam looks for it, or why there is none.

`make deploy` runs this first (with sam-cli's own Python, `.venv-sam/bin/python`, so with the
botocore sam uses): without a region sam stops only after `sam build`, with "Unable to resolve a
region", and names only two of the places it looks. sam takes the region from, in order:

1. its `--region` option (`make deploy REGION=eu-west-1`);
2. samconfig.toml: `region` under `[<env>.deploy.parameters]`, else `[<env>.global.parameters]`;
3. boto3's session (botocore's `region` setting): the `AWS_DEFAULT_REGION` variable, else the
   `region` of the profile in the AWS config file (`~/.aws/config`, or `AWS_CONFIG_FILE`), the
   profile being samconfig.toml's `profile`, else `AWS_PROFILE`, else `default`.

`AWS_REGION` is not one of them: boto3 and AWS CLI v1 read `AWS_DEFAULT_REGION` alone; only AWS
CLI v2 and the other SDKs read `AWS_REGION` (AWS SDKs and Tools Reference Guide, "AWS Region",
https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html; aws/aws-cli#6658). Checked
with this sam-cli: `AWS_REGION=eu-west-1 sam deploy` stops with "Unable to resolve a region".

Prints where the region comes from and exits 0, or says what is missing and exits 1.
"""

import argparse
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

import botocore.exceptions
import botocore.session

ROOT = Path(__file__).resolve().parents[1]
GUIDE = "docs/deploying.md#the-region"


def _samconfig_value(samconfig: dict[str, Any], environment: str, key: str) -> tuple[str, str] | None:
    """samconfig.toml's `key` for `sam deploy --config-env environment`, and the table it is in."""
    for command in ("deploy", "global"):
        value = samconfig.get(environment, {}).get(command, {}).get("parameters", {}).get(key)
        if value:
            return str(value), f"[{environment}.{command}.parameters]"
    return None


def _config_file() -> str:
    return os.environ.get("AWS_CONFIG_FILE") or str(Path("~/.aws/config").expanduser())


def resolve(region: str | None, environment: str, config_file: Path) -> tuple[str | None, list[str]]:
    """The region sam will use and where it comes from, or None and every place looked at."""
    if region:
        return region, [f"REGION={region} (sam deploy --region)"]
    looked = ["REGION (make deploy REGION=...; sam deploy --region): not given"]
    samconfig = tomllib.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
    in_samconfig = _samconfig_value(samconfig, environment, "region")
    if in_samconfig:
        return in_samconfig[0], [f"{config_file.name} {in_samconfig[1]}: region = {in_samconfig[0]!r}"]
    looked.append(
        f"{config_file.name}: no region under [{environment}.deploy.parameters] or [{environment}.global.parameters]"
    )
    from_environment = os.environ.get("AWS_DEFAULT_REGION")
    if from_environment:
        return from_environment, [f"AWS_DEFAULT_REGION={from_environment}"]
    looked.append("AWS_DEFAULT_REGION: not set")
    named = _samconfig_value(samconfig, environment, "profile")
    profile = named[0] if named else os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
    where = f"the profile {profile or 'default'!r} of {_config_file()}"
    try:
        from_profile = botocore.session.Session(profile=profile).get_config_variable("region")
    except botocore.exceptions.ProfileNotFound:
        return None, [*looked, f"{where}: there is no such profile"]
    if from_profile:
        return str(from_profile), [f"{where}: region = {from_profile}"]
    return None, [*looked, f"{where}: no region"]


def missing_region_message(environment: str, looked: list[str]) -> str:
    lines = [
        f"make deploy: no AWS region to deploy to (sam deploy --config-env {environment} would stop with "
        '"Unable to resolve a region"). Looked at, in the order sam does:',
        *(f"  - {place}" for place in looked),
    ]
    if os.environ.get("AWS_REGION"):
        lines.append(
            f"  AWS_REGION={os.environ['AWS_REGION']} is set, but sam, like boto3 and AWS CLI v1, does not read it: "
            "use AWS_DEFAULT_REGION."
        )
    lines += [
        "Choose the region with one of:",
        f'  - region = "eu-west-1" under [{environment}.deploy.parameters] in samconfig.toml (kept for every deploy)',
        "  - make deploy REGION=eu-west-1 (sam deploy --region eu-west-1)",
        "  - export AWS_DEFAULT_REGION=eu-west-1, or aws configure set region eu-west-1",
        f"({GUIDE})",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/deploy_region.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config-env", default="default", help="samconfig.toml's environment (sam deploy --config-env)"
    )
    parser.add_argument("--region", default=None, help="sam deploy --region, if given")
    parser.add_argument("--config-file", type=Path, default=ROOT / "samconfig.toml")
    arguments = parser.parse_args(argv)
    region, looked = resolve(arguments.region or None, arguments.config_env, arguments.config_file)
    if region is None:
        print(missing_region_message(arguments.config_env, looked), file=sys.stderr)
        return 1
    print(f"deploying to {region}: {looked[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
