"""Test support shared by every module's tests.

- builders (make_user, make_role, make_organisation, make_member, PASSWORD) — plain functions like
  Notify's create_*; importable as `from kurashi.testing import make_user` (loaded lazily, so
  `kurashi.testing.server` stays importable without a configured Django);
- server.start_server() — the real Kurashi in subprocesses on a throwaway database (e2e, bench,
  worker integration tests).
"""

from typing import Any


def __getattr__(name: str) -> Any:
    from kurashi.testing import builders

    return getattr(builders, name)
