"""The shared kernel: the prefecture and its municipalities (tenants, codes, boundaries),
organisations, memberships and roles with the one permission check every module uses,
the append-only audit log, geo helpers, the hook registry and environment helpers.

core imports no domain module and not the portal (import-linter enforces it).
"""
