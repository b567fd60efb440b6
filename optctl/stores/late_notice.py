"""Say what optctl is waiting for, only once a wait has lasted: one watcher thread per process.

An ArangoDB request says on stderr what it waits for once it has waited ``notice_after``
seconds (``optctl.settings.waits``). A ``threading.Timer`` per request did that, but starting a
thread cost about a quarter of the CPU of an ArangoDB-heavy run, and nearly every request is
fast. Here a wait costs a heap push under a lock and its end a flag set under the same lock.
One daemon thread, started the first time anything is watched, sleeps until the earliest
deadline; it is woken only when a new deadline falls before the one it sleeps until, so a run
of fast requests wakes it about once per delay, not once per request, and a wait that ended
is dropped when its deadline comes (no search of the heap when a wait ends).

Not chosen: a timer armed per request still starts a thread for each one it arms, and nothing
but a thread can tell that the delay has passed while the request blocks in a socket read;
``signal.setitimer`` works only on the main thread, with one timer per process that other code
may own; a short socket timeout followed by a second wait (how the SQLite lock wait says it is
waiting, in ``sqlite_connection._begin``) cannot be done under ``requests``: its read timeout is
fixed for the request, and a timed-out request may not be sent again (it may have run).

What holds: a notice is said at most once, only after its delay, and never once ``done`` has
returned (``done`` waits while that wait's notice is being said, so a request never returns
with its notice still to come); the thread is a daemon blocked on a condition, so it never
holds up exit; a forked child starts over with a fresh watcher (the parent's thread does not
exist in the child, and its lock may have been held at the fork).
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
import threading
import time
from typing import Callable


class Watch:
    """One wait: what to say if it lasts (``None`` once it has ended) and whether that is being said."""

    __slots__ = ("say", "saying")

    def __init__(self, say: Callable[[], None]):
        self.say: Callable[[], None] | None = say
        self.saying = False


class Watcher:
    """Deadlines in a heap, one thread saying the notices of the waits still running when theirs comes."""

    def __init__(self) -> None:
        self.start_over()

    def start_over(self) -> None:
        """Forget every wait and the thread: for a new watcher, and in a forked child."""
        lock = threading.Lock()
        self._deadline_moved = threading.Condition(lock)  # the thread sleeps on this
        self._said = threading.Condition(lock)  # ``done`` waits on this for a notice being said
        self._due: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()  # ties of the heap, so it never compares two Watch objects
        self._wakes_at = math.inf  # when the sleeping thread wakes by itself; inf while it is awake
        self._thread: threading.Thread | None = None

    def watch(self, delay: float, say: Callable[[], None]) -> Watch:
        """Call ``say()`` (on the watcher's thread) if ``done`` is not called within ``delay`` seconds."""
        watch = Watch(say)
        deadline = time.monotonic() + delay
        with self._deadline_moved:
            heapq.heappush(self._due, (deadline, next(self._order), watch))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="optctl-late-notice", daemon=True)
                self._thread.start()
            elif deadline < self._wakes_at:
                self._deadline_moved.notify()
        return watch

    def done(self, watch: Watch) -> None:
        """The wait ended: its notice is not said, or, if it is being said now, has been once this returns."""
        with self._said:
            watch.say = None
            while watch.saying:
                self._said.wait()

    def _run(self) -> None:
        with self._deadline_moved:
            while True:
                now = time.monotonic()
                while self._due and self._due[0][0] <= now:
                    watch = heapq.heappop(self._due)[2]
                    if watch.say is not None:
                        self._say(watch, watch.say)
                        now = time.monotonic()
                self._wakes_at = self._due[0][0] if self._due else math.inf
                self._deadline_moved.wait(None if not self._due else self._wakes_at - now)
                self._wakes_at = math.inf  # awake: a new deadline needs no wake-up until the next sleep

    def _say(self, watch: Watch, say: Callable[[], None]) -> None:
        """Say it without the lock (stderr may block; other waits must still start and end), then let ``done`` go on."""
        watch.saying = True
        self._deadline_moved.release()
        try:
            say()
        except (OSError, ValueError):
            pass  # stderr closed or broken: the notice is advice, and the next one must still be said
        finally:
            self._deadline_moved.acquire()
            watch.saying = False
            self._said.notify_all()


WATCHER = Watcher()
os.register_at_fork(after_in_child=WATCHER.start_over)
