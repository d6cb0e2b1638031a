"""The site shell: base templates, home page (the plan dashboard), navigation, map shell and
/healthz. It renders what modules register through kurashi.core.hooks and reads modules only
through their public.py.
"""
