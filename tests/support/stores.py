"""The ``store_factory`` fixture: every contract test runs once per backend.

A backend is an opener ``(request, tmp_path, env_name, keys) -> Store``. Calling the factory
twice with the same env name gives two handles on the same data (as two optctl processes
would have); different env names must never see each other's documents.
"""

from __future__ import annotations

from typing import Callable

import pytest

from optctl.settings.project import EnvironmentConfig, sqlite_url
from optctl.stores.base import Store


def _sqlite(request: pytest.FixtureRequest, tmp_path, env: str, keys: dict[str, str]) -> Store:
    from optctl.stores.sqlite import SqliteStore

    return SqliteStore.open(EnvironmentConfig(env, sqlite_url(tmp_path / "optctl.db"), keys=keys))


def _arango(request: pytest.FixtureRequest, tmp_path, env: str, keys: dict[str, str]) -> Store:
    # The in-process ArangoDB stand-in, or a real server when OPTCTL_TEST_ARANGO_URL is set.
    from tests.arango_server.harness import open_arango

    return open_arango(request, tmp_path, env, keys)


OPENERS: dict[str, Callable[..., Store]] = {"sqlite": _sqlite, "arango": _arango}


@pytest.fixture(params=sorted(OPENERS))
def store_factory(request, tmp_path):
    opened: list[Store] = []

    def factory(env: str = "dev", keys: dict[str, str] | None = None) -> Store:
        store = OPENERS[request.param](request, tmp_path, env, keys or {})
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory) -> Store:
    return store_factory("dev")
