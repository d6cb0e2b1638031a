"""The archive module's interface for other modules and the portal."""

__all__: list[str] = []
