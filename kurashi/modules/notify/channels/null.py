"""The null channel: hands off instantly (benchmarks, exactly-once tests). The pipeline records a
NullMessage in the transaction that marks the delivery sent."""

from kurashi.modules.notify.channels.base import ChannelAdapter, Outcome, OutgoingMessage, Result


class NullChannel(ChannelAdapter):
    name = "null"
    max_attempts = 1

    def send(self, message: OutgoingMessage) -> Result:
        return Result(Outcome.SENT)
