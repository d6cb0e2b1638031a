"""Loaded with `-p kurashi.testing.pytest_environment` (pyproject addopts) before pytest-django
reads the settings: tests run with the immediate task backend, MD5 hashing, in-memory mail and a
file SQLite test database (settings.py, KURASHI_TESTING block)."""

import os

os.environ.setdefault("KURASHI_TESTING", "1")
