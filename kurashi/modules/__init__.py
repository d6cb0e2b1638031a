"""Domain modules. Each talks to the others only through its public.py (import-linter checks it)."""
