"""The process's one watcher of waits: a wait that lasts is said once, one that ended never, and
watching starts no thread per wait. Ordering is held with events (a notice that blocks the
watcher), never with sleeps; the deadlines are 0 (due at once) or an hour (never due here)."""

from __future__ import annotations

import os
import threading

import pytest

from optctl.stores.late_notice import WATCHER

HOUR = 3600.0


def test_a_wait_that_lasts_is_said_once():
    said, heard = [], threading.Event()
    watch = WATCHER.watch(0, lambda: (said.append("slow"), heard.set()))
    assert heard.wait(10)
    passed = threading.Event()
    WATCHER.watch(0, passed.set)  # due after the first: said once the watcher has gone past the first
    assert passed.wait(10)
    WATCHER.done(watch)
    assert said == ["slow"]


def test_a_wait_that_ended_before_its_deadline_is_never_said():
    gate, blocked, after = threading.Event(), threading.Event(), threading.Event()
    said: list[str] = []
    first = WATCHER.watch(0, lambda: (blocked.set(), gate.wait(10), said.append("first")))
    assert blocked.wait(10)  # the watcher is held inside the first notice
    ended = WATCHER.watch(0, lambda: said.append("ended"))  # due at once, but...
    WATCHER.done(ended)  # ...over before the watcher looked at it
    WATCHER.watch(0, lambda: (said.append("last"), after.set()))  # due after it: the watcher passes it first
    gate.set()
    assert after.wait(10)
    WATCHER.done(first)
    assert said == ["first", "last"]


def test_a_nearer_deadline_wakes_the_watcher_sleeping_until_a_later_one():
    far = WATCHER.watch(HOUR, lambda: None)
    heard = threading.Event()
    near = WATCHER.watch(0, heard.set)
    assert heard.wait(10)  # not an hour
    WATCHER.done(near)
    WATCHER.done(far)


def test_done_returns_only_once_a_notice_being_said_has_been_said():
    gate, saying = threading.Event(), threading.Event()
    log: list[str] = []
    watch = WATCHER.watch(0, lambda: (saying.set(), gate.wait(10), log.append("said")))
    assert saying.wait(10)
    ender = threading.Thread(target=lambda: (WATCHER.done(watch), log.append("done")))
    ender.start()
    ender.join(0.1)  # a done() that did not wait would have returned by now; one that waits never does
    assert ender.is_alive()
    gate.set()
    ender.join(10)
    assert log == ["said", "done"]


def test_a_thousand_fast_waits_start_no_thread(monkeypatch):
    WATCHER.done(WATCHER.watch(HOUR, lambda: None))  # the watcher exists from here on
    started: list[threading.Thread] = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: (started.append(thread), start(thread))[1])
    said: list[int] = []
    for n in range(1000):
        WATCHER.done(WATCHER.watch(HOUR, lambda n=n: said.append(n)))
    assert started == [] and said == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_has_a_watcher_of_its_own():
    WATCHER.done(WATCHER.watch(HOUR, lambda: None))  # the parent's thread runs; the child will not have it
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether its notice was said, and leave without pytest's clean-up
        code = 1
        try:
            heard = threading.Event()
            WATCHER.watch(0, heard.set)
            code = 0 if heard.wait(10) else 1
        finally:
            os.write(write, b"%d" % code)
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as reply:
        assert reply.read() == b"0"
    assert os.waitpid(pid, 0)[1] == 0
