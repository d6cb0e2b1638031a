"""End-to-end tests: the real server in subprocesses, driven by Chromium (`make e2e`)."""
