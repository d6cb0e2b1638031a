from kurashi.modules.notify.services import pipeline, subscriptions

__all__ = ["pipeline", "subscriptions"]
