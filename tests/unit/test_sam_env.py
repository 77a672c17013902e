"""local.sam_env (`make sam-env`): the `--env-vars` file's entries, and its answer when no stack runs."""

from pathlib import Path

import pytest

from local import sam_env
from tests.support.local_process import free_port

MOTO = "http://127.0.0.1:5000"
RUNNING = {
    "TABLE_NAME": "notes-sync-local-notestable",
    "MEDIA_CLEANUP_QUEUE_URL": f"{MOTO}/123456789012/notes-sync-local-mediacleanupqueue",
    "AWS_ENDPOINT_URL": MOTO,
    "CDN_DOMAIN": "",
}


def test_on_docker_desktop_the_container_reaches_moto_as_the_host() -> None:
    entry = sam_env.in_container(RUNNING, MOTO, "desktop")

    assert entry["AWS_ENDPOINT_URL"] == "http://host.docker.internal:5000"
    assert entry["MEDIA_CLEANUP_QUEUE_URL"] == (
        "http://host.docker.internal:5000/123456789012/notes-sync-local-mediacleanupqueue"
    )
    assert (entry["TABLE_NAME"], entry["CDN_DOMAIN"]) == ("notes-sync-local-notestable", "")


def test_on_the_hosts_network_the_container_reaches_moto_where_it_listens() -> None:
    entry = sam_env.in_container(RUNNING, MOTO, "host")

    assert {name: entry[name] for name in RUNNING} == RUNNING


@pytest.mark.parametrize("docker", ["host", "desktop"])
def test_every_entry_carries_the_credentials_and_region_of_the_stack(docker: str) -> None:
    entry = sam_env.in_container(RUNNING, MOTO, docker)

    assert entry["AWS_ACCESS_KEY_ID"] == entry["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert entry["AWS_REGION"] == entry["AWS_DEFAULT_REGION"] == "us-east-1"


def test_without_a_running_stack_it_says_so_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "sam-env.json"

    code = sam_env.main(["--moto-port", str(free_port()), "--output", str(output)])

    assert code == 1
    assert "start it with `make run`" in capsys.readouterr().err
    assert not output.exists()


def test_it_looks_for_the_stack_on_the_address_host_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a stack started with HOST=127.0.0.2 (none runs here)
    monkeypatch.setenv("HOST", "127.0.0.2")
    port = free_port()

    code = sam_env.main(["--moto-port", str(port), "--output", str(tmp_path / "sam-env.json")])

    assert code == 1
    assert f"no local stack answers on http://127.0.0.2:{port}" in capsys.readouterr().err


def test_a_docker_it_does_not_know_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sam_env.DOCKER_VARIABLE, "podman")

    with pytest.raises(SystemExit) as exited:
        sam_env.main([])

    assert exited.value.code == 2
