"""`python -m local` (what `make run` starts): the whole stack on 127.0.0.1.

moto on $MOTO_PORT (default 5000), every resource provisioned from template.yaml, the HTTP front
on $PORT (default 3000) and the WebSocket API on $WS_PORT (default 3001), the queues' and the
table stream's pollers. A template parameter can be overridden by an environment variable
named after it in upper snake case (TombstoneRetentionDays -> TOMBSTONE_RETENTION_DAYS).
The template's schedules run every $LOCAL_SCHEDULE_SECONDS (default 300; local.schedules).
Ctrl-C (or SIGTERM) stops everything.
"""

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

from local import template as tpl
from local.schedules import INTERVAL_VARIABLE, ScheduleRunner, interval_seconds
from local.stack import LocalStack, environment_name
from local.workers import start_pollers

# Called with the provisioned stack before any function is loaded; what it returns is called once
# the stack has stopped. The e2e tier records the functions' AWS calls so
# (tests/support/recording_stack.py), in a process of its own: the local stack never imports tests/.
Observer = Callable[[LocalStack], Callable[[], None]]


def main(observe: Observer | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local", description="notes-sync's local stack")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT", "5000")))
    parser.add_argument("--ws-port", type=int, default=int(os.environ.get("WS_PORT", "3001")))
    arguments = parser.parse_args()

    try:
        schedule_interval = interval_seconds(os.environ)
    except ValueError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")

    try:
        stack = LocalStack(moto_port=arguments.moto_port)
    except tpl.ParameterError as exc:
        # Refused before anything is created, as CloudFormation refuses such a stack.
        variable = environment_name(exc.parameter)
        given = f" ({variable}={os.environ[variable]})" if variable in os.environ else ""
        parser.exit(2, f"{parser.prog}: {exc}{given}\n")
    observed = observe(stack) if observe is not None else None
    # After the stack has set the functions' environment (and put notes_core on the path):
    from local.front import LocalApi, make_front
    from local.streams import start_stream_pollers
    from local.websocket import WebSocketFront

    front = make_front(LocalApi(stack.provisioned, stack.functions, stack.moto.endpoint_url), arguments.port)
    websocket = WebSocketFront(stack.provisioned, stack.functions, stack.connections, port=arguments.ws_port).start()
    pollers = [*start_pollers(stack), *start_stream_pollers(stack)]
    scheduler = ScheduleRunner(stack, schedule_interval).start()

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=front.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"notes-sync local stack on http://127.0.0.1:{front.server_address[1]}", flush=True)
    print("  API under /v1, Swagger UI at /docs; any confirmation code is accepted (no email is sent)", flush=True)
    print(f"  WebSocket API on {websocket.url}", flush=True)
    print(f"  moto (AWS) on {stack.moto.endpoint_url}", flush=True)
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


if __name__ == "__main__":
    main()
