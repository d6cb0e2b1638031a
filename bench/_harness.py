"""Benchmark harness: an asyncio HTTP/1.1 keep-alive load generator, wrk (if installed), and the
real Kurashi server started like the e2e suite starts it.

The server launcher is kurashi/testing/server.py (one launcher for every out-of-process check; it imports
nothing from Kurashi). bench/ scripts are run as files (`python bench/bench_home.py`), so the
repository root is put on sys.path here to import it.
"""

import asyncio
import contextlib
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from kurashi.testing.server import RunningServer, start_server  # noqa: E402

WRK = shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
REQUEST_TIMEOUT = 30.0


def progress(message: str) -> None:
    """Progress goes to stderr; stdout carries only the one JSON line of figures."""
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def bench_server(web_workers: int = 1, startup_timeout: float = 60.0) -> Iterator[RunningServer]:
    progress(f"starting the server (migrate, demo, run --web-workers {web_workers}) ...")
    with start_server(
        web_workers=web_workers, db_prefix="kurashi_bench", startup_timeout=startup_timeout
    ) as server:
        steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in server.timings.items())
        progress(f"server up at {server.base_url} on {server.database} ({steps})")
        yield server


def environment() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "load_average_1m_before": round(os.getloadavg()[0], 2),
    }


# --- the Python load generator --------------------------------------------------------------


@dataclass
class LoadResult:
    generator: str
    path: str
    clients: int
    duration_s: float
    requests: int
    rps: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    errors: int
    non_2xx: int
    bytes_per_response: int
    generator_cpu_pct: float  # CPU the generator itself used, in % of one core
    status_counts: dict[str, int] = field(default_factory=dict)
    first_errors: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, object]:
        return asdict(self)


def percentile(ordered: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return None
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


class _Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.non_2xx = 0
        self.statuses: dict[str, int] = {}
        self.first_errors: list[str] = []
        self.body_bytes = 0

    def error(self, error: BaseException) -> None:
        self.errors += 1
        if len(self.first_errors) < 5:
            self.first_errors.append(f"{type(error).__name__}: {error}"[:200])


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """Read one response; return (status, body length, server keeps the connection open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, header_block = head.partition(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ValueError(f"bad status line {status_line[:80]!r}")
    status = int(parts[1])
    length = None
    chunked = False
    keep_alive = parts[0] == b"HTTP/1.1"
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection":
            keep_alive = value.strip().lower() != b"close"
    if chunked:
        size = 0
        while True:
            chunk_size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if chunk_size == 0:
                await reader.readuntil(b"\r\n")  # no trailers expected
                break
            await reader.readexactly(chunk_size + 2)
            size += chunk_size
        return status, size, keep_alive
    if length is None:  # body until close
        return status, len(await reader.read()), False
    await reader.readexactly(length)
    return status, length, keep_alive


async def _client(
    host: str,
    port: int,
    request: bytes,
    measure_from: float,
    stop_at: float,
    stats: _Stats,
) -> None:
    # time.perf_counter(), not loop.time(): uvloop's clock has 1 ms steps and is cached per
    # loop iteration, which would round every latency.
    writer: asyncio.StreamWriter | None = None
    reader: asyncio.StreamReader | None = None
    while time.perf_counter() < stop_at:
        try:
            if writer is None or reader is None:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port), REQUEST_TIMEOUT
                )
            started = time.perf_counter()
            writer.write(request)
            status, size, keep_alive = await asyncio.wait_for(
                _read_response(reader), REQUEST_TIMEOUT
            )
            finished = time.perf_counter()
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            if measure_from <= time.perf_counter() < stop_at:
                stats.error(error)
            if writer is not None:
                writer.close()
            writer = reader = None
            await asyncio.sleep(0.01)
            continue
        # Count what completes inside the window (as wrk does): a request may have been sent
        # during the warm-up, but its latency is the server's answer time under full load.
        if measure_from <= finished <= stop_at:
            stats.latencies.append(finished - started)
            key = str(status)
            stats.statuses[key] = stats.statuses.get(key, 0) + 1
            stats.body_bytes = size
            if not 200 <= status < 300:
                stats.non_2xx += 1
        if not keep_alive:
            writer.close()
            writer = reader = None
    if writer is not None:
        writer.close()


async def _run_load(
    base_url: str, path: str, clients: int, duration: float, warmup: float, headers: dict[str, str]
) -> tuple[_Stats, float, float]:
    match = re.fullmatch(r"http://([^:/]+):(\d+)", base_url.rstrip("/"))
    if not match:
        raise ValueError(f"plain http://host:port base URL expected, not {base_url!r}")
    host, port = match.group(1), int(match.group(2))
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "User-Agent: kurashi-bench"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    stats = _Stats()
    began = time.perf_counter()
    measure_from = began + warmup
    stop_at = measure_from + duration
    cpu_before = time.process_time()
    await asyncio.gather(
        *(_client(host, port, request, measure_from, stop_at, stats) for _ in range(clients))
    )
    return stats, time.process_time() - cpu_before, time.perf_counter() - began


def event_loop_name() -> str:
    try:
        import uvloop  # noqa: F401  (installed by uvicorn[standard])
    except ImportError:
        return "asyncio"
    return "uvloop"


def run_load(
    base_url: str,
    path: str,
    *,
    clients: int = 50,
    duration: float = 10.0,
    warmup: float = 2.0,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """`clients` keep-alive connections each send GET `path` back to back for warmup + duration
    seconds; the responses that arrive in the last `duration` seconds are counted and timed."""
    coroutine = _run_load(base_url, path, clients, duration, warmup, headers or {})
    if event_loop_name() == "uvloop":
        import uvloop

        stats, cpu_used, wall = uvloop.run(coroutine)
    else:
        stats, cpu_used, wall = asyncio.run(coroutine)
    ordered = sorted(stats.latencies)

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 2)

    return LoadResult(
        generator=f"python-{event_loop_name()}",
        path=path,
        clients=clients,
        duration_s=duration,
        requests=len(ordered),
        rps=round(len(ordered) / duration, 1),
        p50_ms=ms(percentile(ordered, 0.50)),
        p90_ms=ms(percentile(ordered, 0.90)),
        p99_ms=ms(percentile(ordered, 0.99)),
        max_ms=ms(ordered[-1] if ordered else None),
        errors=stats.errors,
        non_2xx=stats.non_2xx,
        bytes_per_response=stats.body_bytes,
        generator_cpu_pct=round(100 * cpu_used / wall, 1),
        status_counts=stats.statuses,
        first_errors=stats.first_errors,
    )


# --- wrk, for comparison --------------------------------------------------------------------

_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _wrk_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return round(float(number) * _WRK_UNITS[unit], 2)


def wrk_version() -> str | None:
    if WRK is None:
        return None
    done = subprocess.run([WRK, "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"wrk (\S+)", done.stdout + done.stderr)
    return f"wrk {match.group(1)}" if match else "wrk"


def run_wrk(
    base_url: str,
    path: str,
    *,
    clients: int = 50,
    duration: float = 10.0,
    threads: int | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, object] | None:
    """wrk's figures for the same load (C, so it leaves more CPU to the server). wrk reports the
    50/75/90/99th percentiles and the maximum, not its own CPU use."""
    if WRK is None:
        return None
    threads = max(1, min(threads or os.cpu_count() or 1, clients))
    command = [WRK, f"-t{threads}", f"-c{clients}", f"-d{max(1, round(duration))}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(base_url.rstrip("/") + path)
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=duration + 60
    )
    output = done.stdout
    if done.returncode != 0 or "Requests/sec" not in output:
        return {"generator": wrk_version(), "error": (output + done.stderr)[-500:]}
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.MULTILINE))
    latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", output)
    requests = re.search(r"(\d+) requests in", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "generator": wrk_version(),
        "path": path,
        "clients": clients,
        "threads": threads,
        "duration_s": duration,
        "requests": int(requests.group(1)) if requests else None,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50_ms": _wrk_ms(percentiles["50"]) if "50" in percentiles else None,
        "p90_ms": _wrk_ms(percentiles["90"]) if "90" in percentiles else None,
        "p99_ms": _wrk_ms(percentiles["99"]) if "99" in percentiles else None,
        "max_ms": _wrk_ms(latency.group(3)) if latency else None,
        "errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,  # wrk counts 3xx as errors too
    }


def emit(figures: dict[str, object], *, save_as: str | None = None) -> None:
    """Print the one JSON line; with save_as, also append it to bench/results/<save_as>.jsonl."""
    line = json.dumps(figures, ensure_ascii=False, separators=(",", ":"))
    print(line, flush=True)
    if save_as:
        results = REPO_ROOT / "bench" / "results"
        results.mkdir(exist_ok=True)
        with (results / f"{save_as}.jsonl").open("a", encoding="utf-8") as file:
            file.write(line + "\n")
