"""The production store: ArangoDB through python-arango.

Targets ArangoDB 3.11 and 3.12 (single server or cluster coordinators): it needs stream
transactions (``/_api/transaction/begin``, 3.5+) and AQL ``UPDATE ... OPTIONS { ignoreRevs:
false, mergeObjects: false }``; 3.11 is the oldest release still supported upstream.

Why it looks the way it does:

- Round trips, not documents, are what an operator waits for, so every batch is a constant
  number of HTTP requests: reads are one AQL cursor (one document: one document GET); a write is begin, one AQL ``UPDATE`` over
  all services (two when some lose their ``optimization`` field), one AQL ``INSERT`` of the
  history entries, commit. The history lives in its own collection, in the same stream
  transaction, so documents and history can never disagree.
- The compare-and-swap is ArangoDB's own: each ``UPDATE`` carries the ``_rev`` the caller read
  and ``ignoreRevs: false``, so a stale revision (or a write-write conflict with another
  running transaction) fails the query with error 1200 and the whole transaction is aborted.
- Only ``optimization`` is written. ``mergeObjects: false`` replaces the object instead of
  merging it into the old one (removed keys really go). Removal is a separate statement with
  ``keepNull: false``, because that option would also drop ``null`` values nested inside a
  newly added object (arangod's ``mergeObjectsForUpdate``), changing what the caller wrote.
- The AQL texts are module constants: they are the whole of what the backend asks of the
  server, and the test stand-in (``tests/arango_server``) implements exactly these.
- Every driver or transport failure becomes one line naming the environment and the URL
  (never a credential) and what to do; nothing is left half-written.

The history is ordered by the writer's UTC clock (microseconds), then by position within one
write; operators' machines are expected to keep NTP time.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from arango import ArangoClient
from arango.exceptions import ArangoServerError
from arango.http import DefaultHTTPClient, HTTPClient
from requests import RequestException
from requests.exceptions import ConnectTimeout, ReadTimeout, SSLError

from optctl.settings.project import ARANGO_SCHEMES, EnvironmentConfig
from optctl.documents.redact import scrub, secret_values
from optctl.errors import ConflictError, EnvironmentProblem, OptctlError, UsageError
from optctl.stores.base import Change, HistoryEntry, history_timestamp, StoredDocument, changed_since_read, no_such_service, without_system_fields

if TYPE_CHECKING:
    from arango.database import StandardDatabase, TransactionDatabase

DEFAULT_PORT = 8529
BATCH_SIZE = 1000  # cursor batch (the server's default) for queries not bounded by their input

# The AQL the backend sends, verbatim. ``tests/arango_server`` matches on these texts.
READ_DOCUMENTS = "FOR d IN @@collection FILTER d._key IN @keys RETURN d"
READ_ALL_DOCUMENTS = "FOR d IN @@collection RETURN d"
LIST_KEYS = "FOR d IN @@collection RETURN d._key"
READ_REVISIONS = "FOR d IN @@collection FILTER d._key IN @keys RETURN {key: d._key, revision: d._rev}"
SET_OPTIMIZATION = (
    "FOR c IN @changes"
    " UPDATE {_key: c.key, _rev: c.revision} WITH {optimization: c.optimization} IN @@collection"
    " OPTIONS {ignoreRevs: false, mergeObjects: false}"
    " RETURN {key: NEW._key, revision: NEW._rev, before: OLD.optimization, after: NEW.optimization}"
)
REMOVE_OPTIMIZATION = (
    "FOR c IN @changes"
    " UPDATE {_key: c.key, _rev: c.revision} WITH {optimization: null} IN @@collection"
    " OPTIONS {ignoreRevs: false, keepNull: false}"
    " RETURN {key: NEW._key, revision: NEW._rev, before: OLD.optimization, after: NEW.optimization}"
)
PUT_DOCUMENTS = (
    "FOR d IN @documents"
    " INSERT d INTO @@collection OPTIONS {overwriteMode: \"replace\"}"
    " RETURN {key: NEW._key, revision: NEW._rev, before: OLD.optimization, after: NEW.optimization}"
)
INSERT_HISTORY = "FOR h IN @entries INSERT h INTO @@history"
READ_HISTORY = (
    "FOR h IN @@history FILTER @service == null OR h.service == @service"
    " SORT h.at DESC, h.seq DESC LIMIT @limit RETURN h"
)
LAST_CHANGES = (
    "FOR h IN @@history COLLECT service = h.service INTO group = h"
    " RETURN FIRST(FOR g IN group SORT g.at DESC, g.seq DESC LIMIT 1 RETURN g)"
)
ALL_QUERIES = (READ_DOCUMENTS, READ_ALL_DOCUMENTS, LIST_KEYS, READ_REVISIONS, SET_OPTIMIZATION,
               REMOVE_OPTIMIZATION, PUT_DOCUMENTS, INSERT_HISTORY, READ_HISTORY, LAST_CHANGES)

# ArangoDB error numbers (arango.errno) the backend tells apart.
CONFLICT = 1200
DOCUMENT_NOT_FOUND = 1202
COLLECTION_NOT_FOUND = 1203
DATABASE_NOT_FOUND = 1228
FORBIDDEN = 11
_NO_LIMIT = 2**53  # AQL LIMIT needs a number; JSON-safe and more than any history holds


def parse_url(url: str) -> tuple[list[str], str]:
    """``arangodb[+https]://host[:port][,host2[:port]]/database`` -> (HTTP host URLs, database)."""
    scheme = next((s for s in ARANGO_SCHEMES if url.startswith(s)), None)
    if scheme is None:
        raise UsageError(f"{url!r} is not an ArangoDB url; write arangodb://host:8529/database or arangodb+https://host:8529/database")
    netloc, _, database = url.removeprefix(scheme).partition("/")
    if "@" in netloc:
        raise UsageError("an ArangoDB url must not carry credentials; name them with username_env/password_env "
                         "(or username_file/password_file) in optctl.toml")
    database = database.strip("/")
    if not netloc or not database or "/" in database:
        raise UsageError(f"{url!r} needs a host and a database: arangodb://host:8529/database")
    http = "https" if scheme == "arangodb+https://" else "http"
    hosts = [f"{http}://{host if ':' in host else f'{host}:{DEFAULT_PORT}'}" for host in netloc.split(",")]
    return hosts, database


class ArangoStore:
    """One environment's documents in an ArangoDB collection, its history in another."""

    def __init__(self, env: EnvironmentConfig, db: StandardDatabase, client: Any, transport: _RecordingHTTPClient,
                 clock: Callable[[], str] = history_timestamp, secrets: frozenset[str] = frozenset()):
        self.env = env.name
        self._config = env
        self._db = db
        self._client = client
        self._transport = transport
        self._clock = clock
        self._secrets = secrets  # credentials, scrubbed from any server text we repeat

    @classmethod
    def open(cls, env: EnvironmentConfig, *, http_client: HTTPClient | None = None,
             clock: Callable[[], str] = history_timestamp) -> ArangoStore:
        """Connect lazily: no request is sent until the first read or write."""
        hosts, database = parse_url(env.url)
        if env.ca_bundle and not Path(env.ca_bundle).expanduser().exists():
            raise EnvironmentProblem(f"environment {env.name!r}: the CA bundle {env.ca_bundle} does not exist; fix ca_bundle in optctl.toml")
        verify: bool | str = str(Path(env.ca_bundle).expanduser()) if env.verify_tls and env.ca_bundle else env.verify_tls
        username, password = env.credentials()
        # Retries: urllib3's, inside DefaultHTTPClient, repeat only what is safe (a connection
        # never made, or a GET). The driver's own loop would resend any request after a lost
        # reply, e.g. the history INSERT, recording it twice: one try per host only.
        transport = _RecordingHTTPClient(http_client or DefaultHTTPClient(retry_attempts=1, backoff_factor=0.5))
        client = ArangoClient(hosts=hosts, http_client=transport, verify_override=verify, resolver_max_tries=len(hosts))
        db = client.db(database, username=username or "root", password=password or "")
        return cls(env, db, client, transport, clock, frozenset(s for s in (password,) if s))

    def close(self) -> None:
        self._client.close()

    # Reads: one request each, outside any transaction.

    def list_services(self) -> list[str]:
        keys = self._query(LIST_KEYS, {"@collection": self._config.collection}, "list services")
        return sorted(self._config.service_for(key) for key in keys)

    def read(self, service: str) -> StoredDocument:
        with self._failures("read a document"):
            row = self._db.collection(self._config.collection).get(self._config.key_for(service))
        if row is None:
            raise no_such_service(service, self.env)
        return self._stored(row)

    def read_many(self, services: Sequence[str] | None = None) -> dict[str, StoredDocument]:
        if services is None:
            rows = self._query(READ_ALL_DOCUMENTS, {"@collection": self._config.collection}, "read documents")
        else:
            keys = [self._config.key_for(service) for service in services]
            rows = self._query(READ_DOCUMENTS, {"@collection": self._config.collection, "keys": keys}, "read documents")
        documents = (self._stored(row) for row in rows)
        return {doc.service: doc for doc in sorted(documents, key=lambda d: d.service)}

    def history(self, service: str | None = None, limit: int | None = None) -> list[HistoryEntry]:
        bind = {"@history": self._config.history_collection, "limit": _NO_LIMIT if limit is None else limit,
                "service": service}
        rows = self._query(READ_HISTORY, bind, "read the history")
        return [_entry(row, self.env) for row in reversed(rows)]

    def last_changes(self) -> dict[str, HistoryEntry]:
        """The newest history entry of every service, grouped on the server (for ``status``)."""
        rows = self._query(LAST_CHANGES, {"@history": self._config.history_collection}, "read the history")
        return {entry.service: entry for entry in (_entry(row, self.env) for row in rows)}

    # Writes: one stream transaction each, all or nothing.

    def write(self, changes: Sequence[Change], actor: str) -> list[HistoryEntry]:
        keys = [self._config.key_for(change.service) for change in changes]
        if len(set(keys)) != len(keys):
            raise UsageError("the same service appears twice in one write; name each service once")
        if not changes:
            return []
        at = self._clock()
        sets = [{"key": k, "revision": c.expected_revision, "optimization": c.optimization}
                for k, c in zip(keys, changes) if c.optimization is not None]
        removals = [{"key": k, "revision": c.expected_revision} for k, c in zip(keys, changes) if c.optimization is None]

        def work(trx: TransactionDatabase) -> list[HistoryEntry]:
            written: dict[str, dict[str, Any]] = {}
            for query, batch in ((SET_OPTIMIZATION, sets), (REMOVE_OPTIMIZATION, removals)):
                if batch:
                    rows = self._query(query, {"@collection": self._config.collection, "changes": batch}, "write", trx)
                    written.update((row["key"], row) for row in rows)
            entries = [HistoryEntry(written[k]["revision"], at, actor, c.action, c.service, self.env,
                                    written[k]["before"], written[k]["after"], c.reason, c.rollout)
                       for k, c in zip(keys, changes)]
            self._record(trx, entries)
            return entries

        try:
            return self._in_transaction(work, "write")
        except _Rejected as rejected:
            raise self._explain(rejected, changes) from None

    def put_documents(self, documents: Sequence[dict[str, Any]], actor: str, reason: str | None = None) -> list[HistoryEntry]:
        cleaned = []
        for index, document in enumerate(documents):
            if not isinstance(document.get("_key"), str) or not document["_key"]:
                raise UsageError(f"document {index} has no _key; every ai-config document needs one")
            cleaned.append(without_system_fields(document))
        if len({d["_key"] for d in cleaned}) != len(cleaned):
            raise UsageError("the same _key appears twice in one import; keep one document per key")
        if not cleaned:
            return []
        at = self._clock()

        def work(trx: TransactionDatabase) -> list[HistoryEntry]:
            rows = self._query(PUT_DOCUMENTS, {"@collection": self._config.collection, "documents": cleaned}, "import", trx)
            entries = [HistoryEntry(row["revision"], at, actor, "import", self._config.service_for(row["key"]), self.env,
                                    row["before"], row["after"], reason) for row in rows]
            self._record(trx, entries)
            return entries

        try:
            return self._in_transaction(work, "import")
        except _Rejected as rejected:
            if rejected.error.error_code == CONFLICT:
                raise ConflictError(f"documents in {self.env} are being changed by another writer right now; "
                                    "nothing was written; run again") from None
            raise self._environment_problem(rejected.error, "import", True) from None
        except EnvironmentProblem as problem:  # the server's words may quote what it was sent
            raise EnvironmentProblem(scrub(str(problem), secret_values(cleaned))) from None

    # The transaction, the requests and what their failures mean.

    def _record(self, trx: TransactionDatabase, entries: list[HistoryEntry]) -> None:
        rows = [dict(entry.to_json(), seq=seq) for seq, entry in enumerate(entries)]
        self._query(INSERT_HISTORY, {"@history": self._config.history_collection, "entries": rows}, "record the history", trx)

    def _in_transaction(self, work: Callable[[TransactionDatabase], list[HistoryEntry]], doing: str) -> list[HistoryEntry]:
        collections = [self._config.collection, self._config.history_collection]
        with self._failures(f"begin the {doing} transaction", writing=True):
            trx = self._db.begin_transaction(write=collections, allow_implicit=False)
        try:
            result = work(trx)
            with self._failures(f"commit the {doing}", writing=True, committing=True):
                trx.commit_transaction()
            return result
        except BaseException:
            # A failed request does not end a stream transaction; end it so nothing lingers.
            # If the server is gone, its idle timeout aborts the transaction instead.
            try:
                trx.abort_transaction()
            except Exception:  # noqa: BLE001 - the original failure is what the user needs
                pass
            raise

    def _query(self, query: str, bind: dict[str, Any], doing: str, trx: TransactionDatabase | None = None) -> list[Any]:
        # A query over a list of N inputs returns at most N rows: ask for them in one batch,
        # so the round trips stay constant however many services a command names.
        inputs = max((len(v) for v in bind.values() if isinstance(v, list)), default=0)
        with self._failures(doing, writing=trx is not None):
            cursor = (trx or self._db).aql.execute(query, bind_vars=bind, batch_size=max(BATCH_SIZE, inputs))
            return list(cursor)

    @contextmanager
    def _failures(self, doing: str, *, writing: bool = False, committing: bool = False) -> Iterator[None]:
        """Turn the driver's and the transport's exceptions into ``optctl.errors`` types.

        Inside a transaction a conflict or a vanished document is not an environment problem:
        it is raised as ``_Rejected`` for the caller to explain after the abort.
        """
        try:
            yield
        except OptctlError:
            raise
        except ArangoServerError as err:
            if writing and err.error_code in (CONFLICT, DOCUMENT_NOT_FOUND):
                raise _Rejected(err) from None
            raise self._environment_problem(err, doing, writing) from None
        except (ConnectionAbortedError, RequestException) as err:
            raise self._unreachable(err, doing, writing, committing) from None

    def _environment_problem(self, err: ArangoServerError, doing: str, writing: bool) -> EnvironmentProblem:
        where = f"environment {self.env!r}: ArangoDB at {self._config.url}"
        code, status, message = err.error_code, err.http_code, err.error_message
        if status == 401:
            what = ("rejected the credentials (HTTP 401); check the username and password named by "
                    "username_env/password_env or username_file/password_file")
        elif status == 403 or code == FORBIDDEN:
            what = "refused access (HTTP 403); grant the user read/write access to the database and collections"
        elif code == DATABASE_NOT_FOUND:
            what = "has no such database; create it, or fix the database in the url"
        elif code == COLLECTION_NOT_FOUND:
            collections = (self._config.collection, self._config.history_collection)
            missing = " and ".join(repr(n) for n in [n for n in collections if n in (message or "")] or collections)
            what = f"has no collection {missing}; create it, or fix collection/history_collection in optctl.toml"
        elif message is None:
            what = f"answered HTTP {status} without an ArangoDB error body; check that the url points at ArangoDB (host, port, database)"
        else:
            what = f"failed to {doing} (HTTP {status}, error {code}: {scrub(message, self._secrets)})"
        return EnvironmentProblem(f"{where} {what}" + ("; nothing was written" if writing else ""))

    def _unreachable(self, err: Exception, doing: str, writing: bool, committing: bool) -> EnvironmentProblem:
        cause = self._transport.last_error or err
        reason = _transport_reason(cause)
        where = f"environment {self.env!r}: ArangoDB at {self._config.url}"
        if committing:
            return EnvironmentProblem(f"{where}: the connection failed while committing ({reason}); the change may or may not "
                                      f"be applied: check with `optctl history --env {self.env}`, then run again if needed")
        hint = ("set ca_bundle to the server's CA file (or verify_tls = false for a test server)" if reason.startswith("TLS")
                else "check the url in optctl.toml and that the server is running")
        return EnvironmentProblem(f"{where}: the connection failed ({reason}) while trying to {doing}; {hint}"
                                  + ("; nothing was written" if writing else ""))

    def _explain(self, rejected: _Rejected, changes: Sequence[Change]) -> OptctlError:
        """Name the service whose revision moved (or that vanished), and who moved it last."""
        keys = [self._config.key_for(change.service) for change in changes]
        bind = {"@collection": self._config.collection, "keys": keys}
        current = {row["key"]: row["revision"] for row in self._query(READ_REVISIONS, bind, "check the revisions")}
        for key, change in zip(keys, changes):
            if key not in current:
                return no_such_service(change.service, self.env)
            if current[key] != change.expected_revision:
                # The newest entry names the writer only if it made the revision now stored.
                last = [e for e in self.history(change.service, limit=1) if e.revision == current[key]]
                return changed_since_read(change.service, self.env, *((last[0].actor, last[0].at) if last else (None, None)))
        services = ", ".join(change.service for change in changes[:3]) + (", ..." if len(changes) > 3 else "")
        return ConflictError(f"{services} in {self.env}: another writer is changing them right now "
                             f"(ArangoDB error {rejected.error.error_code}); nothing was written; run again")

    def _stored(self, row: dict[str, Any]) -> StoredDocument:
        document = without_system_fields(row)
        return StoredDocument(self._config.service_for(row["_key"]), row["_key"], row["_rev"], document)


class _Rejected(Exception):
    """The server refused a transactional write (conflict or missing document): explained by the caller."""

    def __init__(self, error: ArangoServerError):
        super().__init__(str(error))
        self.error = error


def _entry(row: dict[str, Any], env: str) -> HistoryEntry:
    return HistoryEntry(row["revision"], row["at"], row["actor"], row["action"], row["service"], row.get("env", env),
                        row.get("before"), row.get("after"), row.get("reason"), row.get("rollout"))


def _transport_reason(err: BaseException) -> str:
    """A short, credential-free cause: the exception class chain says more than its text."""
    text = repr(err)
    if isinstance(err, SSLError) or "SSL" in text or "CERTIFICATE" in text.upper():
        return "TLS handshake failed: certificate not trusted or not TLS"
    if isinstance(err, (ConnectTimeout, ReadTimeout)):
        return "timed out"
    if "NameResolution" in text or "Name or service not known" in text or "nodename nor servname" in text:
        return "host name not found"
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    return "connection lost"


class _RecordingHTTPClient(HTTPClient):
    """Wraps the real transport to keep the last transport exception.

    The driver turns every ``requests.ConnectionError`` (refused, DNS, TLS) into one bare
    ``ConnectionAbortedError``; the wrapped cause lets the message say which it was.
    """

    def __init__(self, inner: Any):
        self._inner = inner
        self.last_error: BaseException | None = None

    @property
    def request_timeout(self) -> Any:
        return getattr(self._inner, "request_timeout", None)

    def create_session(self, host: str) -> Any:
        return self._inner.create_session(host)

    def send_request(self, session: Any, method: str, url: str, headers: Any = None, params: Any = None,
                     data: Any = None, auth: Any = None) -> Any:
        self.last_error = None
        try:
            return self._inner.send_request(session, method, url, headers, params, data, auth)
        except Exception as err:
            self.last_error = err
            raise
