"""`make deploy` finds the region where sam looks for it (tools/deploy_region.py, run by sam-cli's own
Python), and without one says what is missing before anything is built."""

import subprocess
from pathlib import Path

import pytest

from local import template as tpl
from tests.template.transformed import SAM_PYTHON

CHECK = tpl.ROOT / "tools" / "deploy_region.py"
SAMCONFIG = """version = 0.1
[default.global.parameters]
stack_name = "notes-sync-dev"
{default_global}
[default.deploy.parameters]
stack_name = "notes-sync-dev"
{default_deploy}
[prod.deploy.parameters]
stack_name = "notes-sync-prod"
{prod_deploy}
"""


def _bare_environment(home: Path, **variables: str) -> dict[str, str]:
    """An environment with nothing AWS in it but `variables`, and an empty home (no ~/.aws)."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "SAM_CLI_TELEMETRY": "0", **variables}


def _check(home: Path, *arguments: str, **variables: str) -> subprocess.CompletedProcess[str]:
    assert SAM_PYTHON.is_file(), "sam-cli's virtualenv is missing: run `make template`"
    return subprocess.run(
        [str(SAM_PYTHON), str(CHECK), *arguments],
        env=_bare_environment(home, **variables),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_make_deploy_without_a_region_says_what_is_missing_and_builds_nothing(tmp_path: Path) -> None:
    # Given no region anywhere: no AWS variable, no ~/.aws, none in samconfig.toml
    environment = _bare_environment(tmp_path)

    # When `make deploy` runs
    ran = subprocess.run(
        ["make", "--no-print-directory", "deploy"],
        cwd=tpl.ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # Then it fails, naming every place it looked and how to choose a region, before building
    assert ran.returncode != 0
    assert "no AWS region to deploy to" in ran.stderr
    assert "REGION (make deploy REGION=...; sam deploy --region): not given" in ran.stderr
    assert "samconfig.toml: no region under [default.deploy.parameters] or [default.global.parameters]" in ran.stderr
    assert "AWS_DEFAULT_REGION: not set" in ran.stderr
    assert f"the profile 'default' of {tmp_path}/.aws/config: no region" in ran.stderr
    assert 'region = "eu-west-1" under [default.deploy.parameters] in samconfig.toml' in ran.stderr
    assert "docs/deploying.md#the-region" in ran.stderr
    assert "sam build" not in ran.stdout


def test_aws_region_alone_is_named_as_a_variable_sam_does_not_read(tmp_path: Path) -> None:
    ran = _check(tmp_path, "--config-env", "prod", AWS_REGION="eu-west-1")

    assert ran.returncode == 1
    assert "AWS_REGION=eu-west-1 is set, but sam, like boto3 and AWS CLI v1, does not read it" in ran.stderr
    assert "no region under [prod.deploy.parameters] or [prod.global.parameters]" in ran.stderr


def _write_samconfig(
    directory: Path, default_global: str = "", default_deploy: str = "", prod_deploy: str = ""
) -> Path:
    path = directory / "samconfig.toml"
    text = SAMCONFIG.format(default_global=default_global, default_deploy=default_deploy, prod_deploy=prod_deploy)
    path.write_text(text, encoding="utf-8")
    return path


def _write_aws_config(home: Path, text: str) -> None:
    (home / ".aws").mkdir()
    (home / ".aws" / "config").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("samconfig", "aws_config", "arguments", "variables", "expected"),
    [
        ({}, "", ["--region", "ap-south-1"], {}, "deploying to ap-south-1: REGION=ap-south-1"),
        (
            {"default_deploy": 'region = "eu-west-3"'},
            "",
            [],
            {"AWS_DEFAULT_REGION": "us-west-2"},
            "deploying to eu-west-3: samconfig.toml [default.deploy.parameters]: region = 'eu-west-3'",
        ),
        (
            {"default_global": 'region = "eu-north-1"'},
            "",
            [],
            {},
            "deploying to eu-north-1: samconfig.toml [default.global.parameters]: region = 'eu-north-1'",
        ),
        (
            {"prod_deploy": 'region = "sa-east-1"', "default_deploy": 'region = "eu-west-3"'},
            "",
            ["--config-env", "prod"],
            {},
            "deploying to sa-east-1: samconfig.toml [prod.deploy.parameters]",
        ),
        (
            {},
            "[default]\nregion = ca-central-1\n",
            [],
            {"AWS_DEFAULT_REGION": "us-west-2"},
            "deploying to us-west-2: AWS_DEFAULT_REGION=us-west-2",
        ),
        ({}, "[default]\nregion = ca-central-1\n", [], {}, "deploying to ca-central-1: the profile 'default' of"),
        (
            {},
            "[profile ops]\nregion = eu-central-1\n",
            [],
            {"AWS_PROFILE": "ops"},
            "deploying to eu-central-1: the profile 'ops' of",
        ),
        (
            {"default_deploy": 'profile = "ops"'},
            "[profile ops]\nregion = eu-central-1\n",
            [],
            {},
            "deploying to eu-central-1: the profile 'ops' of",
        ),
    ],
    ids=[
        "--region",
        "samconfig-deploy-over-AWS_DEFAULT_REGION",
        "samconfig-global",
        "samconfig-of-the-config-env",
        "AWS_DEFAULT_REGION-over-the-profile",
        "the-default-profile",
        "AWS_PROFILE",
        "samconfig-profile",
    ],
)
def test_the_region_is_found_where_sam_finds_it_in_sams_order(
    tmp_path: Path,
    samconfig: dict[str, str],
    aws_config: str,
    arguments: list[str],
    variables: dict[str, str],
    expected: str,
) -> None:
    # Given a region in one place, or several with the one sam takes first
    config_file = _write_samconfig(tmp_path, **samconfig)
    if aws_config:
        _write_aws_config(tmp_path, aws_config)

    # When the check runs
    ran = _check(tmp_path, "--config-file", str(config_file), *arguments, **variables)

    # Then it names that region and where it comes from
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith(expected)


def test_a_profile_that_does_not_exist_is_named(tmp_path: Path) -> None:
    _write_aws_config(tmp_path, "[profile ops]\nregion = eu-central-1\n")

    ran = _check(tmp_path, "--config-file", str(_write_samconfig(tmp_path)), AWS_PROFILE="opps")

    assert ran.returncode == 1
    assert "the profile 'opps' of" in ran.stderr
    assert "there is no such profile" in ran.stderr
