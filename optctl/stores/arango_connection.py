"""One ArangoDB database as optctl uses it: reads that may be resent, writes that never are, honest outcomes.

Shared by the documents store (``optctl.stores.arango``) and the rollout records. A write is
one stream transaction (``develop/http-api/transactions/stream-transactions.md``): begin,
the caller's statements, commit. Until the commit, any failure leaves nothing written (the
transaction is aborted, or the server's idle timeout aborts it), so the caller may say so.
The commit is the one request whose failure leaves the outcome open: then the transaction's
status is asked (``GET /_api/transaction/{id}``: the server remembers ``committed`` or
``aborted`` for a while), a still-running transaction is committed again (commit is
idempotent), and failing that the caller's ``confirm`` reads back what the write stored under
its operation id. Only when none of these can tell is the outcome reported as unknown, with
the operation id to look for.

Diagnoses follow the server's rules (arangod ``CommTask::prepareExecution``): HTTP 401 with
errorNum 11 is a wrong password, a user without access to the database, or a database that
does not exist (a user without access to that name is not told which).
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence, TypeVar

from arango import ArangoClient
from arango.cursor import Cursor
from arango.exceptions import ArangoServerError
from arango.http import HTTPClient
from requests import RequestException

from optctl.documents.redact import scrub
from optctl.errors import EnvironmentProblem, OptctlError, UsageError
from optctl.settings.project import ARANGO_SCHEMES, EnvironmentConfig
from optctl.settings import waits
from optctl.stores.arango_transport import Transport, TransportFailure, reason

if TYPE_CHECKING:
    from arango.database import StandardDatabase, TransactionDatabase

T = TypeVar("T")
DEFAULT_PORT = 8529
BATCH_SIZE = 1000  # cursor batch (the server's default) for queries not bounded by their input

# ArangoDB error numbers (site/data/3.12/errors.yaml) the backends tell apart.
FORBIDDEN = 11
CONFLICT = 1200
DOCUMENT_NOT_FOUND = 1202
COLLECTION_NOT_FOUND = 1203
UNIQUE_CONSTRAINT = 1210
DATABASE_NOT_FOUND = 1228
TRANSACTION_NOT_FOUND = 1655
REJECTIONS = (CONFLICT, DOCUMENT_NOT_FOUND, UNIQUE_CONSTRAINT)


def answered(result: object, kind: type[T]) -> T:
    """A python-arango call's value, as ``kind``. Its calls are typed for every executor (a job in
    async or batch mode); optctl uses only the default and stream-transaction ones, which answer
    at once, so anything else is a bug in optctl, not an answer from the server."""
    if not isinstance(result, kind):
        raise TypeError(f"python-arango answered with {type(result).__name__}, not {kind.__name__}")
    return result


def new_operation_id() -> str:
    """A write's identity, stored with what it writes (under a unique index) to read it back by."""
    return uuid.uuid4().hex


def parse_url(url: str) -> tuple[list[str], str]:
    """``arangodb[+https]://host[:port][,host2[:port]]/database`` -> (HTTP host URLs, database)."""
    scheme = next((s for s in ARANGO_SCHEMES if url.startswith(s)), None)
    if scheme is None:
        raise UsageError(
            f"{url!r} is not an ArangoDB url; write arangodb://host:8529/database or arangodb+https://host:8529/database"
        )
    netloc, _, database = url.removeprefix(scheme).partition("/")
    if "@" in netloc:
        raise UsageError(
            "an ArangoDB url must not carry credentials; name them with username_env/password_env "
            "(or username_file/password_file) in optctl.toml"
        )
    database = database.strip("/")
    if not netloc or not database or "/" in database:
        raise UsageError(f"{url!r} needs a host and a database: arangodb://host:8529/database")
    http = "https" if scheme == "arangodb+https://" else "http"
    hosts = [f"{http}://{host if ':' in host else f'{host}:{DEFAULT_PORT}'}" for host in netloc.split(",")]
    return hosts, database


class Rejected(Exception):
    """The server refused a statement of a write (conflict 1200, missing document 1202, unique 1210):
    raised after the transaction was aborted, for the caller to explain."""

    def __init__(self, error: ArangoServerError):
        super().__init__(str(error))
        self.error_code: int | None = error.error_code
        self.http_code: int | None = error.http_code
        self.message: str = error.error_message or ""
        self.details: dict[str, Any] = error.response.body if isinstance(error.response.body, dict) else {}


class OutcomeUnknown(EnvironmentProblem):
    """A commit whose result nobody could tell; ``operation`` is what to look for."""

    def __init__(self, message: str, operation: str | None):
        super().__init__(message)
        self.operation = operation


class Transaction:
    """Inside ``ArangoConnection.write``: run statements; none of them is ever sent twice."""

    def __init__(self, connection: ArangoConnection, trx: TransactionDatabase, doing: str):
        self._connection, self._trx, self._doing = connection, trx, doing
        self.id: str = trx.transaction_id

    def query(self, aql: str, bind: dict[str, Any]) -> list[Any]:
        return self._connection.run(self._trx, aql, bind, self._doing, writing=True)


class ArangoConnection:
    """A database of one environment; lazy: nothing is sent before the first read or write."""

    def __init__(
        self,
        env: EnvironmentConfig,
        db: StandardDatabase,
        client: ArangoClient,
        transport: Transport,
        username: str,
        secrets: frozenset[str],
    ):
        self.env_name = env.name
        self.url = env.url
        self.database = db.name
        self.username = username
        self.db = db
        self.transport = transport
        self._client = client
        self._secrets = secrets  # credentials, scrubbed from any server text repeated
        self._collections = (env.collection, env.history_collection)

    @classmethod
    def open(
        cls, env: EnvironmentConfig, *, http_client: HTTPClient | None = None, notice: Callable[[str], None] | None = None
    ) -> ArangoConnection:
        hosts, database = parse_url(env.url)
        if env.ca_bundle and not Path(env.ca_bundle).expanduser().exists():
            raise EnvironmentProblem(
                f"environment {env.name!r}: the CA bundle {env.ca_bundle} does not exist; fix ca_bundle in optctl.toml"
            )
        verify: bool | str = str(Path(env.ca_bundle).expanduser()) if env.verify_tls and env.ca_bundle else env.verify_tls
        username, password = env.credentials()
        timeout = waits.seconds("request_timeout", env.request_timeout)
        transport = Transport(verify=verify, timeout=timeout or None, notice=notice)
        # A try per host and one more: the transport lets only requests that are safe to repeat
        # (a read, or one that never reached a server) go round again.
        client = ArangoClient(
            hosts=hosts, http_client=http_client or transport, resolver_max_tries=len(hosts) + 1, verify_override=verify
        )
        db = client.db(database, username=username or "root", password=password or "")
        return cls(env, db, client, transport, username or "root", frozenset(s for s in (password,) if s))

    def close(self) -> None:
        self._client.close()

    # Reads.

    def query(self, aql: str, bind: dict[str, Any], doing: str) -> list[Any]:
        """A read outside any transaction, in one batch when the input bounds it."""
        return self.run(self.db, aql, bind, doing)

    def stream(self, aql: str, bind: dict[str, Any], doing: str, batch_size: int = BATCH_SIZE) -> Iterator[Any]:
        """A read fetched batch by batch: memory stays flat however many rows."""
        with self.failures(doing):
            with self.transport.resendable():
                cursor = answered(self.db.aql.execute(aql, bind_vars=bind, batch_size=batch_size, stream=True), Cursor)
        while True:
            with self.failures(doing):
                if cursor.empty():
                    if not cursor.has_more():
                        return
                    cursor.fetch()
                    continue
                row = cursor.pop()
            yield row

    def run(
        self, target: StandardDatabase | TransactionDatabase, aql: str, bind: dict[str, Any], doing: str, writing: bool = False
    ) -> list[Any]:
        # A query over a list of N inputs returns at most N rows: ask for them in one batch,
        # so the round trips stay constant however many services a command names.
        inputs = max((len(v) for v in bind.values() if isinstance(v, list)), default=0)
        with self.failures(doing, writing=writing):
            with self.transport.resendable() if not writing else _nothing():
                cursor = answered(target.aql.execute(aql, bind_vars=bind, batch_size=max(BATCH_SIZE, inputs)), Cursor)
            return list(cursor)

    # Writes.

    def write(
        self,
        collections: Sequence[str],
        doing: str,
        work: Callable[[Transaction], T],
        confirm: Callable[[], T | None],
        operation: str,
    ) -> T:
        """``work`` in one stream transaction over ``collections``, committed; see the module docstring.
        ``operation`` is the id ``work`` stores with its rows and ``confirm`` looks for."""
        with self.failures(f"begin the {doing}", writing=True):
            trx = self.db.begin_transaction(write=list(collections), allow_implicit=False)
        try:
            result = work(Transaction(self, trx, doing))
        except BaseException:
            self._abort(trx)
            raise
        self.transport.doing = f"commit the {doing}"
        try:
            trx.commit_transaction()
            return result
        except (ArangoServerError, TransportFailure, ConnectionAbortedError, RequestException) as err:
            return self._settle(trx, err, doing, result, confirm, operation)

    def _settle(
        self, trx: TransactionDatabase, failure: Exception, doing: str, result: T, confirm: Callable[[], T | None], operation: str
    ) -> T:
        """The commit got no clear answer: ask the server, then look for the write itself."""
        why = self._failure_text(failure)
        status = self._status(trx)
        if status == "running":  # the commit never arrived: commit now (idempotent if it did)
            try:
                trx.commit_transaction()
                return result
            except Exception:  # noqa: BLE001 - what matters is what the server says next
                status = self._status(trx)
        if status == "committed":
            return result
        if status == "aborted":
            raise EnvironmentProblem(f"{self.where()}: the {doing} was not committed ({why}); nothing was written; run again")
        try:
            found = confirm()
        except OutcomeUnknown:
            raise
        except OptctlError:
            found = None
            looked = False
        else:
            looked = True
        if found is not None:
            return found
        if looked and status == "gone":
            raise EnvironmentProblem(
                f"{self.where()}: the {doing} was not committed ({why}): the server no longer knows "
                "the transaction and nothing it wrote is stored; nothing was written; run again"
            )
        raise OutcomeUnknown(
            f"{self.where()}: the commit of the {doing} got no answer ({why}) and the server could not "
            f"tell what became of it; the outcome is unknown: `optctl store verify --env {self.env_name} "
            f"{operation}` says whether operation {operation} was written",
            operation,
        )

    def _status(self, trx: TransactionDatabase) -> str | None:
        """``running`` / ``committed`` / ``aborted``, ``gone`` (404: forgotten), or None (no answer)."""
        try:
            with self.transport.resendable():
                return trx.transaction_status()
        except ArangoServerError as err:
            return "gone" if err.error_code == TRANSACTION_NOT_FOUND else None
        except (TransportFailure, ConnectionAbortedError, RequestException):
            return None

    def _abort(self, trx: TransactionDatabase) -> None:
        """A failed request does not end a stream transaction: end it; if the server is gone, its
        idle timeout aborts it instead."""
        try:
            trx.abort_transaction()
        except Exception:  # noqa: BLE001 - the original failure is what the user needs
            pass

    # Failures.

    def where(self) -> str:
        return f"environment {self.env_name!r}: ArangoDB at {self.url}"

    @contextmanager
    def failures(self, doing: str, *, writing: bool = False) -> Iterator[None]:
        """The driver's and the transport's exceptions as ``optctl.errors`` types (``Rejected`` inside a write)."""
        self.transport.doing = doing
        try:
            yield
        except OptctlError:
            raise
        except ArangoServerError as err:
            if writing and err.error_code in REJECTIONS:
                raise Rejected(err) from None
            raise self.server_problem(err, doing, writing) from None
        except (TransportFailure, ConnectionAbortedError, RequestException) as err:
            raise self.unreachable(err, doing, writing) from None

    def server_problem(self, err: ArangoServerError, doing: str, writing: bool) -> EnvironmentProblem:
        code, status, message = err.error_code, err.http_code, err.error_message
        if status == 401:
            what = (
                f"refused the login to database {self.database!r} as user {self.username!r} (HTTP 401, error {code}): "
                f"the password may be wrong, the user may have no access to {self.database!r}, or no database "
                f"{self.database!r} may exist; check the credentials named by username_env/password_env or "
                "username_file/password_file, the user's grants, and the database in the url"
            )
        elif status == 403 or code == FORBIDDEN:
            what = (
                f"refused user {self.username!r} to {doing} (HTTP 403): grant it read/write access to database "
                f"{self.database!r} and its collections {', '.join(repr(c) for c in self._collections)}"
            )
        elif code == DATABASE_NOT_FOUND:
            what = f"has no database {self.database!r}; create it, or fix the database in the url"
        elif code == COLLECTION_NOT_FOUND:
            missing = " and ".join(repr(n) for n in [n for n in self._collections if n in (message or "")] or self._collections)
            what = (
                f"has no collection {missing}; run `optctl store init --env {self.env_name}`, "
                "or fix collection/history_collection in optctl.toml"
            )
        elif message is None:
            what = f"answered HTTP {status} without an ArangoDB error body; check that the url points at ArangoDB (host, port, database)"
        else:
            what = f"failed to {doing} (HTTP {status}, error {code}: {scrub(message, self._secrets)})"
        return EnvironmentProblem(f"{self.where()} {what}" + ("; nothing was written" if writing else ""))

    def unreachable(self, err: Exception, doing: str, writing: bool) -> EnvironmentProblem:
        why = self._failure_text(err)
        if why.startswith("HTTP") and "not JSON" in why:
            return EnvironmentProblem(
                f"{self.where()}: {why} while trying to {doing}; check that the url points at "
                "ArangoDB (host, port, database)" + ("; nothing was written" if writing else "")
            )
        if why.startswith("TLS"):
            hint = "set ca_bundle to the server's CA file (or verify_tls = false for a test server)"
        elif why.startswith("HTTP 5"):
            hint = "the server is up but not serving; try again later or ask its operator"
        else:
            hint = "check the url in optctl.toml and that the server is running"
        return EnvironmentProblem(
            f"{self.where()}: the connection failed ({why}) while trying to {doing}; {hint}"
            + ("; nothing was written" if writing else "")
        )

    def _failure_text(self, err: Exception) -> str:
        if isinstance(err, TransportFailure):
            return err.reason
        if isinstance(err, ArangoServerError):
            return f"HTTP {err.http_code}, error {err.error_code}"
        return self.transport.last_failure or reason(err)


@contextmanager
def _nothing() -> Iterator[None]:
    yield
