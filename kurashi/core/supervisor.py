"""Supervision of the processes `kurashi run` starts beside the web server (the task worker, the
modules' watchers): a child that dies is started again after a growing delay, the reason is
logged, and the restarts are counted where /healthz can read them.

The state is a small JSON file (KURASHI_SUPERVISOR_STATE, set by `kurashi run` for itself and every
process it starts, the web workers included), rewritten atomically on every change:

    {"pid": 1234, "started_at": "...", "children": {"worker": {"pid": 1240, "running": true,
     "restarts": 1, "last_exit": "killed by SIGKILL", "last_exit_at": "...", "next_start_in": null}}}

Backoff: 1 s after the first crash, doubling up to 30 s while a child keeps dying; a child that has
run for a minute is healthy again and its next crash waits 1 s. uvicorn restarts its own web
workers (`--web-workers N`).
"""

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone

logger = logging.getLogger("kurashi.supervisor")

STATE_ENV = "KURASHI_SUPERVISOR_STATE"


@dataclass(frozen=True)
class ChildSpec:
    key: str
    argv: tuple[str, ...]  # after `python -m kurashi`


@dataclass
class _Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    delay: float = 0.0
    next_start_at: float | None = None
    last_exit: str = ""
    last_exit_at: str = ""
    history: list[str] = field(default_factory=list)


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}"
    return f"exited with code {returncode}"


class Supervisor:
    def __init__(
        self,
        specs: Sequence[ChildSpec],
        *,
        state_path: Path,
        env: Mapping[str, str] | None = None,
        initial_delay: float = 1.0,
        max_delay: float = 30.0,
        stable_after: float = 60.0,
        check_every: float = 0.2,
        popen: Callable[..., subprocess.Popen[bytes]] = subprocess.Popen,
    ) -> None:
        self.children = [_Child(spec) for spec in specs]
        self.state_path = state_path
        self.env = dict(os.environ if env is None else env)
        self.env[STATE_ENV] = str(state_path)
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self.stable_after = stable_after
        self.check_every = check_every
        self._popen = popen
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.started_at = timezone.now().isoformat()

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            for child in self.children:
                self._spawn(child)
            self._write_state()
        self._thread = threading.Thread(target=self._watch, name="kurashi-supervisor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM every child, wait up to `timeout` seconds, SIGKILL what is left."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            running = [c.process for c in self.children if c.process and c.process.poll() is None]
            for process in running:
                process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            for process in running:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            self.state_path.unlink(missing_ok=True)

    # --- watching ----------------------------------------------------------------------------

    def _spawn(self, child: _Child) -> None:
        child.process = self._popen(
            [sys.executable, "-m", "kurashi", *child.spec.argv], env=self.env
        )
        child.started_at = time.monotonic()
        child.next_start_at = None
        logger.info("started kurashi %s (pid %d)", " ".join(child.spec.argv), child.process.pid)

    def _watch(self) -> None:
        while not self._stopping.wait(self.check_every):
            with self._lock:
                if self._stopping.is_set():
                    return
                changed = False
                for child in self.children:
                    changed |= self._check(child)
                if changed:
                    self._write_state()

    def _check(self, child: _Child) -> bool:
        now = time.monotonic()
        if child.next_start_at is not None:
            if now < child.next_start_at:
                return False
            child.restarts += 1
            self._spawn(child)
            return True
        if child.process is None or (returncode := child.process.poll()) is None:
            return False
        ran_for = now - child.started_at
        if ran_for >= self.stable_after or child.delay == 0:
            child.delay = self.initial_delay
        else:
            child.delay = min(self.max_delay, child.delay * 2)
        child.last_exit = describe_exit(returncode)
        child.last_exit_at = timezone.now().isoformat()
        child.history = [*child.history[-9:], f"{child.last_exit_at} {child.last_exit}"]
        child.next_start_at = now + child.delay
        logger.warning(
            "kurashi %s (pid %d) %s after %.1f s; starting it again in %.0f s (restart %d)",
            " ".join(child.spec.argv),
            child.process.pid,
            child.last_exit,
            ran_for,
            child.delay,
            child.restarts + 1,
        )
        return True

    # --- state -------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        now = time.monotonic()
        children = {}
        for child in self.children:
            running = (
                child.next_start_at is None
                and child.process is not None
                and child.process.poll() is None
            )
            children[child.spec.key] = {
                "argv": " ".join(child.spec.argv),
                "pid": child.process.pid if child.process else None,
                "running": running,
                "restarts": child.restarts,
                "last_exit": child.last_exit or None,
                "last_exit_at": child.last_exit_at or None,
                "next_start_in": (
                    round(child.next_start_at - now, 1) if child.next_start_at else None
                ),
                "recent_exits": child.history,
            }
        return {"pid": os.getpid(), "started_at": self.started_at, "children": children}

    def _write_state(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.state_path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.snapshot(), ensure_ascii=False), encoding="utf-8")
        partial.replace(self.state_path)


def read_state(path: str | None = None) -> dict[str, Any] | None:
    """The supervisor's state for this process (None when not started by `kurashi run`)."""
    location = path or os.environ.get(STATE_ENV)
    if not location:
        return None
    try:
        return json.loads(Path(location).read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def supervised_processes_health() -> tuple[bool, dict[str, Any]]:
    """For /healthz: every supervised child is running (a restart pending is a failure)."""
    location = os.environ.get(STATE_ENV)
    if not location:
        return True, {"supervised": False}
    state = read_state(location)
    if state is None:
        return False, {"supervised": True, "error": "supervisor state unreadable"}
    children = state.get("children", {})
    healthy = all(child.get("running") for child in children.values())
    return healthy, {"supervised": True, "children": children}
