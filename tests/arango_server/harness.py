"""TEST FIXTURE: where ArangoStore tests run: the HTTP stand-in on 127.0.0.1, or a real server.

With ``OPTCTL_TEST_ARANGO_URL`` set (``http://root:pw@localhost:8529/optctl_test``, or
``https://...``), the database is created if missing and each environment's collections are
created or truncated, so the same tests run against ArangoDB itself. Otherwise every test
gets a fresh stand-in (one coordinator unless asked for more), stopped when the test ends.
Each environment gets its own pair of collections, so environments never see each other's
documents, and the credentials travel through environment variables, as in production.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import pytest
from arango import ArangoClient
from arango.database import StandardDatabase

from optctl.settings.project import EnvironmentConfig
from optctl.stores.arango import ArangoStore
import tests.support.rollout_aql  # noqa: F401  (the stand-in serves the rollout records' queries too, as a server would)
from tests.arango_server import ArangoStandIn, User

REAL_SERVER_VARIABLE = "OPTCTL_TEST_ARANGO_URL"
USER_VARIABLE, PASSWORD_VARIABLE = "OPTCTL_TEST_ARANGO_USER", "OPTCTL_TEST_ARANGO_PASSWORD"
DATABASE = "optctl_test"
FAKE_USER, FAKE_PASSWORD = "optctl", "stand-in-password-7f3a"


class Harness:
    """Opens ArangoStores on one server, the stand-in's or a real one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, real_url: str | None = None, *, coordinators: int = 1, **stand_in: Any):
        self.real = real_url is not None
        self.server: ArangoStandIn | None = None
        if real_url is None:
            self.server = ArangoStandIn({FAKE_USER: User(FAKE_PASSWORD), "root": User("")}, coordinators=coordinators, **stand_in)
            self.server.state.create_database(DATABASE)
            self._hosts = self.server.urls
            scheme = "arangodb+https" if self._hosts[0].startswith("https") else "arangodb"
            netloc = ",".join(host.split("://", 1)[1] for host in self._hosts)
            self.url, self.database, user, password = f"{scheme}://{netloc}/{DATABASE}", DATABASE, FAKE_USER, FAKE_PASSWORD
        else:
            self.url, self.database, user, password, host = _parse_real(real_url)
            self._hosts = [host]
        monkeypatch.setenv(USER_VARIABLE, user)
        monkeypatch.setenv(PASSWORD_VARIABLE, password)
        self._prepared: set[str] = set()

    def close(self) -> None:
        if self.server:
            self.server.close()

    def environment(self, name: str = "dev", keys: dict[str, str] | None = None, **settings: Any) -> EnvironmentConfig:
        settings = {"collection": f"{name}_ai_configs", "history_collection": f"{name}_optctl_history", **settings}
        return EnvironmentConfig(
            name,
            settings.pop("url", self.url),
            username_env=USER_VARIABLE,
            password_env=PASSWORD_VARIABLE,
            keys=keys or {},
            **settings,
        )

    def connect(self, env: EnvironmentConfig) -> ArangoStore:
        """A store on the environment, its collections ready."""
        self._prepare(env)
        return ArangoStore.open(env)

    def open(self, name: str = "dev", keys: dict[str, str] | None = None) -> ArangoStore:
        return self.connect(self.environment(name, keys))

    def other_writer(self) -> StandardDatabase:
        """python-arango on the same server and database, for a test playing another writer."""
        client = ArangoClient(hosts=self._hosts)
        return client.db(self.database, username=os.environ[USER_VARIABLE], password=os.environ[PASSWORD_VARIABLE])

    def _prepare(self, env: EnvironmentConfig) -> None:
        if env.name in self._prepared:
            return
        self._prepared.add(env.name)
        collections = (env.collection, env.history_collection)
        if self.server:
            for name in collections:
                self.server.state.create_collection(self.database, name)
            return
        user, password = os.environ[USER_VARIABLE], os.environ[PASSWORD_VARIABLE]
        client = ArangoClient(hosts=self._hosts)
        system = client.db("_system", username=user, password=password)
        if not system.has_database(self.database):
            system.create_database(self.database)
        db = client.db(self.database, username=user, password=password)
        for name in collections:
            if db.has_collection(name):
                db.collection(name).truncate()
            else:
                db.create_collection(name)
        client.close()
        # and the indexes, as `optctl store init` makes them in production
        from optctl.stores.arango_connection import ArangoConnection
        from optctl.stores.arango_layout import documents_layout, ensure

        connection = ArangoConnection.open(env)
        try:
            ensure(connection, documents_layout(env))
        finally:
            connection.close()


def _parse_real(url: str) -> tuple[str, str, str, str, str]:
    parts = urlsplit(url)
    database = parts.path.strip("/") or DATABASE
    host = f"{parts.hostname}:{parts.port or 8529}"
    scheme = "arangodb+https" if parts.scheme == "https" else "arangodb"
    return f"{scheme}://{host}/{database}", database, parts.username or "root", parts.password or "", f"{parts.scheme}://{host}"


_HARNESS = pytest.StashKey[Harness]()


def harness_for(request: pytest.FixtureRequest) -> Harness:
    """One harness per test, shared by every store the test opens; its stand-in stops with the test."""
    if _HARNESS not in request.node.stash:
        harness = Harness(request.getfixturevalue("monkeypatch"), os.environ.get(REAL_SERVER_VARIABLE))
        request.node.stash[_HARNESS] = harness
        request.addfinalizer(harness.close)
    return request.node.stash[_HARNESS]


def open_arango(request: pytest.FixtureRequest, tmp_path: Any, env: str, keys: dict[str, str]) -> ArangoStore:
    """The contract suite's opener (``tests/support/stores.py``)."""
    return harness_for(request).open(env, keys)
