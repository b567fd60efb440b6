"""Where model-config documents live: one ``Store`` protocol, two backends.

``sqlite`` is the embedded default (standard library only); ``arango`` is production,
through python-arango. Commands talk to the protocol only; ``optctl.settings.project`` picks the
backend for an environment.
"""

from optctl.stores.base import Change, HistoryEntry, Store, StoredDocument

__all__ = ["Change", "HistoryEntry", "Store", "StoredDocument"]
