"""`python -m local` as a child process on free loopback ports (of 127.0.0.1, or the loopback
address `host`), for the e2e tier and benchmarks.

Where NOTES_SYNC_AWS_CALLS_DIR is set (the e2e tier sets it) the stack is started as
`python -m tests.support.recording_stack`: the same stack, recording its AWS calls into that
directory."""

import os
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from typing import IO, Any

import boto3

from local import template as tpl
from tests.support.aws_calls import DIRECTORY_VARIABLE

# The per-source limits of the public auth routes (template parameters), raised to their maximum for
# a stack that many test users sign up to from 127.0.0.1, as no group of people does: the e2e
# session's and the fuzzer's. tests/e2e/test_request_limits.py floods a stack with the defaults.
SHARED_SOURCE_LIMITS = {
    "AUTH_ATTEMPTS_PER_SOURCE_IP_PER_MINUTE": "100000",
    "AUTH_EMAILS_PER_SOURCE_IP_PER_DAY": "100000",
}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class LocalProcess:
    """`module`: a module run instead, which runs local's main with an observer of its own
    (bench/cost_stack.py)."""

    def __init__(
        self,
        environment: dict[str, str] | None = None,
        startup_seconds: float = 60,
        host: str = "127.0.0.1",
        module: str | None = None,
    ) -> None:
        self.host = host
        self.port, self.moto_port, self.ws_port = free_port(host), free_port(host), free_port(host)
        self._aws_clients: dict[str, Any] = {}
        env = {
            **os.environ,
            "HOST": host,
            "PORT": str(self.port),
            "MOTO_PORT": str(self.moto_port),
            "WS_PORT": str(self.ws_port),
            **(environment or {}),
        }
        if module is None:
            module = "tests.support.recording_stack" if env.get(DIRECTORY_VARIABLE) else "local"
        self.process = subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=tpl.ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: deque[str] = deque(maxlen=400)
        ready = threading.Event()
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout, ready), daemon=True).start()
        if not ready.wait(startup_seconds):
            self.stop()
            raise RuntimeError("the local stack did not start:\n" + "".join(self.output))

    def _read(self, stream: IO[str], ready: threading.Event) -> None:
        for line in stream:
            self.output.append(line)
            if f"local stack on {self.base_url}" in line:
                ready.set()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def websocket_url(self) -> str:
        """The WebSocket API's URL (its stage, `live`, is the path, as on AWS)."""
        return f"ws://{self.host}:{self.ws_port}/live"

    def aws(self, service: Any) -> Any:  # the service is chosen by each caller
        """A client of `service` in the stack's moto (one per service), as a test looks at what
        the stack did."""
        if service not in self._aws_clients:
            self._aws_clients[service] = boto3.Session(region_name="us-east-1").client(
                service,
                endpoint_url=f"http://{self.host}:{self.moto_port}",
                aws_access_key_id="testing",  # what moto accepts
                aws_secret_access_key="testing",
            )
        return self._aws_clients[service]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode
