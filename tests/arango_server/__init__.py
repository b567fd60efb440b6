"""TEST FIXTURE: an in-process stand-in for the ArangoDB HTTP API subset optctl's backend uses.

No ArangoDB server can run on the machines this project is built on, so the contract suite
runs ``optctl.stores.arango.ArangoStore`` against this stand-in instead, and against a real
server when ``OPTCTL_TEST_ARANGO_URL`` is set. It is not ArangoDB and must never shape the
backend: the backend is written from python-arango's and ArangoDB's documentation, and this
fixture imitates just enough of the server for the driver's real code to run:

- ``GET /_db/{db}/_api/document/{collection}/{key}``.
- ``POST /_db/{db}/_api/cursor`` (and ``POST /_api/cursor/{id}`` for further batches) for the
  AQL texts in ``optctl.stores.arango`` only: each is matched verbatim and its documented
  semantics implemented by hand (``aql.py``). Any other query fails loudly with error 1501.
- Stream transactions: ``POST /_api/transaction/begin``, commit ``PUT`` and abort ``DELETE``
  on ``/_api/transaction/{id}``, the ``x-arango-trx-id`` header. Reads see the snapshot taken
  at begin plus the transaction's own writes; writes are invisible to others until commit; a
  write to a document another running transaction wrote, or that changed since the snapshot,
  fails with 409 / error 1200 (RocksDB's write-write conflict).
- Real ``_rev`` semantics: a new opaque string on every write; ``UPDATE`` with
  ``ignoreRevs: false`` and a stale ``_rev`` fails with 409 / error 1200.
- Basic auth (401), missing database (404 / 1228) and missing collection (404 / 1203),
  every error in ArangoDB's body format ``{"error", "code", "errorNum", "errorMessage"}``.

It plugs into python-arango through the driver's own seam, ``ArangoClient(http_client=...)``
(``client.py``), which also counts requests and injects dropped connections. ``harness.py``
opens stores on it, or on a real server.
"""

from tests.arango_server.client import FakeHTTPClient
from tests.arango_server.server import FakeArangoServer

__all__ = ["FakeArangoServer", "FakeHTTPClient"]
