"""What the HTTP-API channels (LINE, SMS) share: one keep-alive client per batch and the mapping
of HTTP answers to outcomes."""

import httpx

from kurashi.modules.notify.channels.base import ChannelAdapter, Outcome, Result


class HttpApiChannel(ChannelAdapter):
    """A provider's HTTP API: the client is opened per batch (connection reuse)."""

    timeout: float = 10.0

    def __init__(self) -> None:
        super().__init__()
        self.client: httpx.Client | None = None

    def open(self) -> None:
        self.client = httpx.Client(timeout=self.timeout, follow_redirects=False)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def post(self, url: str, *, json: object, headers: dict[str, str]) -> httpx.Response | Result:
        """POST, or the Result of a transport failure (always worth a retry)."""
        if self.client is None:
            self.open()
        client = self.client
        if client is None:  # pragma: no cover - open() always sets it
            raise RuntimeError(f"{self.name}: HTTP client not open")
        try:
            return client.post(url, json=json, headers=headers)
        except httpx.TimeoutException:
            return Result(Outcome.RETRY, f"timed out after {self.timeout:g} s")
        except httpx.HTTPError as error:
            return Result(Outcome.RETRY, f"{type(error).__name__}: {error}"[:500])


def outcome_of(response: httpx.Response, *, gone: tuple[int, ...] = ()) -> Result:
    """2xx sent; `gone` statuses: the address no longer exists; 408/429/5xx retry; else failed."""
    status = response.status_code
    if status < 300:
        return Result(Outcome.SENT)
    detail = f"HTTP {status}: {response.text[:200]}".strip().rstrip(":")
    if status in gone:
        return Result(Outcome.GONE, detail)
    if status in (408, 429) or status >= 500:
        return Result(Outcome.RETRY, detail)
    return Result(Outcome.FAILED, detail)
