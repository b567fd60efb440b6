"""Where model-config documents live: one ``Store`` protocol (``base``), the embedded SQLite
backend and ArangoDB through python-arango, and ``factory.open_store`` (the one place that
knows every backend).

May import: ``settings``, ``contract``, ``providers``, ``documents``, ``errors``.
"""

from optctl.stores.base import Change, HistoryEntry, Store, StoredDocument

__all__ = ["Change", "HistoryEntry", "Store", "StoredDocument"]
