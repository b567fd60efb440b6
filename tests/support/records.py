"""The ``records_factory`` fixture: every record-store contract test runs once per backend.

Calling the factory twice gives two handles on the same records, as two optctl processes (or
two OPTCTL_HOME folders with one optctl.toml) would have."""

from __future__ import annotations

import pytest

from optctl.settings.project import RolloutsConfig


def arango_records(request: pytest.FixtureRequest):
    """An opener of ArangoRecords on this test's stand-in (or real server), collections made once."""
    from optctl.rollout.records.arango import ArangoRecords
    from tests.arango_server.harness import harness_for

    from optctl.rollout.records.arango import layout
    from optctl.stores.arango_connection import ArangoConnection
    from optctl.stores.arango_layout import ensure

    harness = harness_for(request)
    where = RolloutsConfig("production")
    env = harness.environment("production")
    if harness.server is not None:  # the records run on what `optctl store init` makes, unique indexes included
        connection = ArangoConnection.open(env)
        try:
            ensure(connection, layout(where))
        finally:
            connection.close()
    return lambda: ArangoRecords.open(env, where)


@pytest.fixture(params=["sqlite", "arango"])
def records_factory(request, tmp_path):
    from optctl.rollout.records.sqlite import SqliteRecords

    opener = (lambda: SqliteRecords(tmp_path / "optctl.db")) if request.param == "sqlite" else arango_records(request)
    opened = []

    def factory():
        handle = opener()
        opened.append(handle)
        return handle

    yield factory
    for handle in opened:
        handle.close()
