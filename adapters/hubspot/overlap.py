"""Reading several HubSpot streams at once, and a stream's next page while the caller stores the current one.

A rolling window admits a burst of requests (limiter.py); read strictly one page after another, a run spends
each window's budget only as fast as it can parse and store pages, and leaves the rest of the window idle.
Here each source is drained by a worker thread, all of them through the portal's one limiter (so the overlap
never adds a request the window has no room for), and the caller receives the pages through one bounded queue.

Order: each source's pages arrive in that source's own order (one worker drains one source, into a FIFO queue);
pages of different sources interleave. That is safe for bookmarks because of where the bookmarks are: a stream
whose pages carry checkpoints (a contacts or deals increment) is one source, read ahead by one worker, so its
pages and their bookmarks reach the caller in order; a stream of several sources (activities) carries its
bookmark only on a last page that its reader yields after `merged` is exhausted, i.e. after the caller has taken,
and stored, every page of every source (a generator resumes only when its caller asks for the next item).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, nullcontext
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: A worker whose page finds the queue full looks again this often for a caller that stopped reading.
FULL_QUEUE_POLL_SECONDS = 0.05
#: Pages read ahead of the caller before a worker waits: a window's budget goes out while the store works through
#: the pages before them (at most a few MB of records; unstored pages are read again after a crash).
READ_AHEAD_PAGES = 32


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_DONE = object()


def merged(sources: Sequence[Iterator[T]], *, threads: int, ahead: int = READ_AHEAD_PAGES) -> Iterator[T]:
    """Every item of every source, each source's in its own order; up to ``threads`` sources are read at once,
    and at most ``ahead`` items (at least one per worker) wait for the caller. The first error of any source is
    raised here, and closing this generator stops the workers at their next item."""
    if threads <= 1:  # no worker at all: strictly one page after another, in the caller's thread
        for source in sources:
            yield from source
        return
    workers = min(threads, len(sources))
    if workers == 0:
        return
    pending: queue.Queue[Iterator[T]] = queue.Queue()
    for source in sources:
        pending.put(source)
    found: queue.Queue[object] = queue.Queue(maxsize=max(ahead, workers))
    stop = threading.Event()
    for _ in range(workers):
        threading.Thread(target=_drain, args=(pending, found, stop), daemon=True, name="hubspot-read").start()
    finished = 0
    try:
        while finished < workers:
            item = found.get()
            if item is _DONE:
                finished += 1
            elif isinstance(item, _Failed):
                raise item.error
            else:
                yield item  # type: ignore[misc]
    finally:
        stop.set()


def prefetched(source: Iterator[T], *, threads: int, ahead: int = READ_AHEAD_PAGES) -> Iterator[T]:
    """The items of one source, the next ``ahead`` read by a worker while the caller works on the current one
    (none when ``threads`` is 1)."""
    return merged([source], threads=min(threads, 2), ahead=ahead)


def _drain(pending: queue.Queue[Iterator[T]], found: queue.Queue[object], stop: threading.Event) -> None:
    """A worker: take sources until none is left; each item (or the error that ended a source) to the queue."""
    try:
        while not stop.is_set():
            try:
                source = pending.get_nowait()
            except queue.Empty:
                return
            with closing(source) if hasattr(source, "close") else nullcontext():  # type: ignore[arg-type]
                for item in source:
                    if not _offer(found, item, stop):
                        return
    except BaseException as error:  # handed to the caller, which raises it in its own thread
        _offer(found, _Failed(error), stop)
    finally:
        _offer(found, _DONE, stop)


def _offer(found: queue.Queue[object], item: object, stop: threading.Event) -> bool:
    """Put ``item`` in the queue unless the caller stopped reading; False when it did."""
    while not stop.is_set():
        try:
            found.put(item, timeout=FULL_QUEUE_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False


def each_at_once(work: Callable[[T], R], items: Sequence[T], *, threads: int) -> list[R]:
    """``work`` done for every item, up to ``threads`` at once; the answers in the items' order."""
    if threads <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(threads, len(items)), thread_name_prefix="hubspot-call") as pool:
        return list(pool.map(work, items))
