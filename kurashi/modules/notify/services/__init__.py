from kurashi.modules.notify.services import direct, pipeline, subscriptions

__all__ = ["direct", "pipeline", "subscriptions"]
