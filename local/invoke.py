"""`python -m local.invoke FUNCTION [EVENT]` (what `make invoke` runs): one function of template.yaml,
invoked once with an event file, as `sam local invoke FUNCTION -e EVENT` does, without Docker.

The function runs in this process against a fresh local stack (moto, every resource provisioned
from the template), with the environment the template gives it. EVENT defaults to the function's
fixture, events/<its code directory>.json. Like `sam local invoke`, nothing checks the token of an
authorized route's event: the function takes the caller from the event's
requestContext.authorizer.jwt.claims. The function's log lines go to stderr; its response, as JSON,
to stdout.
"""

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from local import template as tpl
from local.stack import LocalStack


def fixture_of(properties: dict[str, Any]) -> Path:
    """A function's fixture: events/<the last part of its CodeUri>.json."""
    return tpl.ROOT / "events" / f"{str(properties['CodeUri']).strip('/').split('/')[-1]}.json"


def main(argv: list[str] | None = None) -> int:
    functions = tpl.functions(tpl.load())
    parser = argparse.ArgumentParser(
        prog="python -m local.invoke", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("function", choices=sorted(functions), metavar="FUNCTION", help="a function's logical id")
    parser.add_argument("event", nargs="?", type=Path, help="the event file (default: the function's fixture)")
    arguments = parser.parse_args(argv)
    event_path: Path = arguments.event or fixture_of(functions[arguments.function])
    if not event_path.is_file():
        parser.error(f"no event file {event_path}")
    event = json.loads(event_path.read_text(encoding="utf-8"))

    stack = LocalStack()
    try:
        with contextlib.redirect_stdout(sys.stderr):  # the function's logs, apart from its response
            response = stack.functions.invoke(arguments.function, event)
    finally:
        stack.stop()
    print(json.dumps(response, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
