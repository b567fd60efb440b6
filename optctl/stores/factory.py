"""Opens the store an environment names: the one place that knows every backend.

Backends are imported only when used, so a command on the embedded store never loads python-arango.
"""

from optctl.errors import UsageError
from optctl.settings.project import ARANGO_SCHEMES, SQLITE_SCHEME, EnvironmentConfig
from optctl.stores.base import Store


def open_store(env: EnvironmentConfig) -> Store:
    """The store of one environment; backends are imported only when used."""
    if env.url.startswith(SQLITE_SCHEME):
        from optctl.stores.sqlite import SqliteStore

        return SqliteStore.open(env)
    if env.url.startswith(ARANGO_SCHEMES):
        from optctl.stores.arango import ArangoStore

        return ArangoStore.open(env)
    raise UsageError(f"environment {env.name!r}: unsupported store url {env.url!r}")
