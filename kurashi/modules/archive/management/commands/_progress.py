"""A rich progress bar shared by the import commands."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def progress_bar(label: str, *, disable: bool = False) -> Iterator[Callable[[int, int], None]]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=disable,
    ) as progress:
        bar = progress.add_task(label, total=None)

        def report(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        yield report
