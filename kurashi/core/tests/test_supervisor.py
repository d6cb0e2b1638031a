"""The supervisor of `kurashi run`'s children, with real child processes (small Python programs
stand in for `kurashi worker` so that each test takes a second, not a Django start-up): a child
killed with SIGKILL is started again and counted, one that keeps dying waits longer each time,
the reason is logged, and /healthz's component reads the state."""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kurashi.core.supervisor import (
    STATE_ENV,
    ChildSpec,
    Supervisor,
    read_state,
    supervised_processes_health,
)

PROGRAMS = {
    "sleeper": "import time; time.sleep(120)",
    "crasher": "raise SystemExit(3)",
}


def programs(argv: list[str], **options: Any) -> "subprocess.Popen[bytes]":
    """Popen for the supervisor: `python -m kurashi <name>` runs PROGRAMS[name] instead."""
    return subprocess.Popen([sys.executable, "-c", PROGRAMS[argv[-1]]], **options)  # noqa: S603


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


@pytest.fixture
def supervise(tmp_path: Path) -> Iterator[Callable[..., Supervisor]]:
    started: list[Supervisor] = []

    def make(*specs: ChildSpec, **options: Any) -> Supervisor:
        options = {"initial_delay": 0.2, "check_every": 0.05, **options}
        supervisor = Supervisor(
            specs, state_path=tmp_path / "run" / "state.json", popen=programs, **options
        )
        supervisor.start()
        started.append(supervisor)
        return supervisor

    yield make
    for supervisor in started:
        supervisor.stop(timeout=5)


def child_state(supervisor: Supervisor, key: str) -> dict[str, Any]:
    state = read_state(str(supervisor.state_path))
    assert state is not None
    return state["children"][key]  # type: ignore[no-any-return]


def test_a_child_killed_with_sigkill_is_started_again_and_counted(
    supervise: Callable[..., Supervisor], caplog: pytest.LogCaptureFixture
) -> None:
    supervisor = supervise(ChildSpec("worker", ("sleeper",)), ChildSpec("watch", ("sleeper",)))
    first = child_state(supervisor, "worker")
    assert (first["running"], first["restarts"]) == (True, 0)

    with caplog.at_level(logging.WARNING, logger="kurashi.supervisor"):
        os.kill(first["pid"], signal.SIGKILL)
        wait_for(lambda: child_state(supervisor, "worker")["restarts"] == 1)
        wait_for(lambda: child_state(supervisor, "worker")["running"])

    again = child_state(supervisor, "worker")
    assert again["pid"] != first["pid"]
    assert again["last_exit"] == "killed by SIGKILL"
    os.kill(again["pid"], 0)  # alive
    assert child_state(supervisor, "watch")["restarts"] == 0
    assert "kurashi sleeper" in caplog.text
    assert "killed by SIGKILL" in caplog.text
    assert "starting it again in" in caplog.text


def test_a_child_that_keeps_dying_waits_longer_each_time(
    supervise: Callable[..., Supervisor],
) -> None:
    supervisor = supervise(ChildSpec("worker", ("crasher",)), initial_delay=0.1, max_delay=0.4)
    wait_for(lambda: child_state(supervisor, "worker")["restarts"] >= 4)
    state = child_state(supervisor, "worker")
    assert state["last_exit"] == "exited with code 3"
    assert len(state["recent_exits"]) >= 4
    assert supervisor.children[0].delay == 0.4  # 0.1, 0.2, 0.4, then capped


def test_healthz_reports_a_child_waiting_to_be_started_again(
    supervise: Callable[..., Supervisor], monkeypatch: pytest.MonkeyPatch
) -> None:
    supervisor = supervise(ChildSpec("worker", ("crasher",)), initial_delay=30)
    monkeypatch.setenv(STATE_ENV, str(supervisor.state_path))
    wait_for(lambda: child_state(supervisor, "worker")["last_exit"] is not None)

    ok, detail = supervised_processes_health()

    assert ok is False
    assert detail["children"]["worker"]["running"] is False
    assert detail["children"]["worker"]["next_start_in"] > 20


def test_stopping_ends_every_child_and_removes_the_state(
    supervise: Callable[..., Supervisor],
) -> None:
    supervisor = supervise(ChildSpec("worker", ("sleeper",)))
    pid = child_state(supervisor, "worker")["pid"]
    supervisor.stop(timeout=5)
    assert not supervisor.state_path.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_state_file_is_plain_json(supervise: Callable[..., Supervisor]) -> None:
    supervisor = supervise(ChildSpec("worker", ("sleeper",)))
    state = json.loads(supervisor.state_path.read_text(encoding="utf-8"))
    assert state["pid"] == os.getpid()
    assert set(state["children"]["worker"]) >= {"pid", "running", "restarts", "last_exit"}
