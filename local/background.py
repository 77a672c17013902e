"""Work the local stack repeats in a thread of its own until it stops: the queue pollers
(local.workers) and the schedules (local.schedules)."""

import threading
from typing import Self


class BackgroundLoop:
    """Runs `_run` in a daemon thread; `_run` returns once `_stopping` is set by `stop`."""

    def __init__(self, name: str) -> None:
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        raise NotImplementedError
