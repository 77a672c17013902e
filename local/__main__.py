"""`python -m local` (what `make run` starts): the whole stack on $HOST (default 127.0.0.1).

moto on $MOTO_PORT (default 5000), every resource provisioned from template.yaml, the HTTP front
on $PORT (default 3000) and the WebSocket API on $WS_PORT (default 3001), the queues' and the
table stream's pollers. A template parameter can be overridden by an environment variable
named after it in upper snake case (TombstoneRetentionDays -> TOMBSTONE_RETENTION_DAYS).
The template's schedules run every $LOCAL_SCHEDULE_SECONDS (default 300; local.schedules).
The URLs the stack hands out name the host the client used, or $PUBLIC_HOST (local.hosts).
Ctrl-C (or SIGTERM) stops everything.
"""

import argparse
import errno
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

from local import hosts
from local import template as tpl
from local.schedules import INTERVAL_VARIABLE, ScheduleRunner, interval_seconds
from local.stack import LocalStack, environment_name
from local.workers import start_pollers

# Called with the provisioned stack before any function is loaded; what it returns is called once
# the stack has stopped. The e2e tier records the functions' AWS calls so
# (tests/support/recording_stack.py), in a process of its own: the local stack never imports tests/.
Observer = Callable[[LocalStack], Callable[[], None]]
# Why a server cannot listen: the port is taken, HOST is no address of this machine, a port below 1024.
LISTEN_ERRORS = (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)


def main(observe: Observer | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local", description="notes-sync's local stack")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT", "5000")))
    parser.add_argument("--host", default=os.environ.get("HOST", hosts.DEFAULT_HOST))
    parser.add_argument("--public-host", default=os.environ.get("PUBLIC_HOST") or None)
    parser.add_argument("--ws-port", type=int, default=int(os.environ.get("WS_PORT", "3001")))
    arguments = parser.parse_args()

    try:
        schedule_interval = interval_seconds(os.environ)
        listen = hosts.ListenAddress.parse(arguments.host)
        public_host = None if arguments.public_host is None else hosts.public_host(arguments.public_host)
    except ValueError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")

    stack = _provision(parser, arguments.moto_port, listen)
    stack.create_functions()  # where `make sam-env` reads their environment (local.sam_env)
    observed = observe(stack) if observe is not None else None
    # After the stack has set the functions' environment (and put notes_core on the path):
    from local.front import LocalApi, make_front
    from local.streams import start_stream_pollers
    from local.websocket import WebSocketFront

    api = LocalApi(stack.provisioned, stack.functions, stack.moto.endpoint_url, public_host)
    try:
        front = make_front(api, arguments.port, listen)
    except OSError as exc:
        stack.stop()
        _cannot_listen(parser, listen, arguments.port, exc)
    websocket = WebSocketFront(
        stack.provisioned, stack.functions, stack.connections, host=listen.host, port=arguments.ws_port
    ).start()
    pollers = [*start_pollers(stack), *start_stream_pollers(stack)]
    scheduler = ScheduleRunner(stack, schedule_interval).start()

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=front.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    lines = banner(listen, front.server_address[1], stack.moto.port, public_host)
    lines.insert(2, f"  WebSocket API on {websocket.url}")
    for line in lines:
        print(line, flush=True)
    for schedule in scheduler.schedules:
        every = f"every {schedule_interval:g} s ({INTERVAL_VARIABLE})"
        print(f"  {schedule.target} {schedule.event} ({schedule.expression}) runs {every}", flush=True)
    try:
        front.serve_forever()
    finally:
        front.server_close()
        websocket.stop()
        scheduler.stop()
        for poller in pollers:
            poller.stop()
        stack.stop()
        if observed is not None:
            observed()
        print("local stack stopped", file=sys.stderr, flush=True)


def _provision(parser: argparse.ArgumentParser, moto_port: int, listen: hosts.ListenAddress) -> LocalStack:
    try:
        return LocalStack(moto_port=moto_port, host=listen)
    except tpl.ParameterError as exc:
        # Refused before anything is created, as CloudFormation refuses such a stack.
        variable = environment_name(exc.parameter)
        given = f" ({variable}={os.environ[variable]})" if variable in os.environ else ""
        parser.exit(2, f"{parser.prog}: {exc}{given}\n")
    except OSError as exc:
        _cannot_listen(parser, listen, moto_port, exc)


def _cannot_listen(parser: argparse.ArgumentParser, listen: hosts.ListenAddress, port: int, exc: OSError) -> NoReturn:
    if exc.errno not in LISTEN_ERRORS:
        raise exc
    parser.exit(2, f"{parser.prog}: cannot listen on {listen.host} port {port}: {os.strerror(exc.errno)}\n")


def banner(listen: hosts.ListenAddress, port: int, moto_port: int, public_host: str | None) -> list[str]:
    """What the stack prints once it serves: where, and a warning when other machines can reach it."""
    where = f"http://{hosts.netloc(listen.host, port)}"
    moto = f"http://{hosts.netloc(listen.local_host, moto_port)}"
    if listen.every_address:
        nearby = hosts.network_address()
        on_network = f"; on its network http://{hosts.netloc(nearby, port)}" if nearby else ""
        where += f" (every address of this machine{on_network})"
        moto += f" (port {moto_port} of every address)"
    lines = [
        f"notes-sync local stack on {where}",
        "  API under /v1, Swagger UI at /docs; any confirmation code is accepted (no email is sent)",
        f"  moto (AWS) on {moto}",
    ]
    if public_host:
        lines.append(f"  the URLs it hands out name {public_host} (PUBLIC_HOST), not the host a client used")
    if listen.reachable_from_elsewhere:
        lines += [
            f"  WARNING: with HOST={listen.host} other machines can reach this stack. It accepts any confirmation",
            "  code, and its moto any AWS credentials: anyone on the network can sign up, and read or change",
            "  everything stored. Use it on a network you trust only, and stop it when done.",
        ]
    return lines


if __name__ == "__main__":
    main()
