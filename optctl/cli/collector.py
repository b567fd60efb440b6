"""The cyclic garbage collector's pace while a command reads a large input (validate, dry-run)."""

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's cyclic collector, run every 100,000 allocations instead of 700.

    A large input makes millions of objects that live to the end (documents, reports, findings)
    and hold no cycles; at the default rate the collector spends a fifth of a 200,000-document
    run walking them (a tenth of a 50 MB export's). Cycles (jsonschema's errors point back at
    their parents) are still collected, so memory stays flat; the thresholds are put back after.
    """
    before = gc.get_threshold()
    gc.set_threshold(100_000, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
