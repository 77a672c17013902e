"""AWS_ENDPOINT_URL, which the template declares empty for every function so that `sam local invoke
--env-vars` may set it (SAM overrides only declared variables): empty, as on AWS, it changes nothing."""

import botocore.session
import pytest

from local import template as tpl

SERVICES = ["dynamodb", "s3", "sqs", "cognito-idp", "stepfunctions"]  # what the functions call


def _endpoint(service: str) -> str:
    client = botocore.session.get_session().create_client(
        service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    endpoint: str = client.meta.endpoint_url
    return endpoint


@pytest.fixture(autouse=True)
def _no_configured_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing of this machine's: no shared config file, no service-specific endpoint variable."""
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    for service in SERVICES:
        monkeypatch.delenv(f"AWS_ENDPOINT_URL_{service.replace('-', '_').upper()}", raising=False)


def test_the_template_declares_it_empty_for_every_function() -> None:
    for name, properties in tpl.functions(tpl.load()).items():
        assert properties["Environment"]["Variables"]["AWS_ENDPOINT_URL"] == "", name


@pytest.mark.parametrize("service", SERVICES)
def test_empty_it_leaves_the_clients_on_aws(monkeypatch: pytest.MonkeyPatch, service: str) -> None:
    # Given the variable as a deployed function has it
    monkeypatch.setenv("AWS_ENDPOINT_URL", "")

    # Then the function's clients call AWS itself
    assert _endpoint(service).endswith(".amazonaws.com")


@pytest.mark.parametrize("service", SERVICES)
def test_set_it_sends_the_clients_there(monkeypatch: pytest.MonkeyPatch, service: str) -> None:
    # Given the variable as the local stack or `sam local invoke --env-vars local/sam-env.json` sets it
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")

    # Then every client calls the moto server
    assert _endpoint(service) == "http://127.0.0.1:5000"
