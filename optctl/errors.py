"""The few exception types that cross layers, each carrying the exit code the CLI returns.

Exit codes follow the brief: 0 ok, 1 problems found, 2 usage or environment error.
Pure modules raise these with a one-line message that already names the file, place and
what to do; the CLI's single error handler prints the message and exits with the code.
"""

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class OptctlError(Exception):
    """A failure the user can act on; ``str(err)`` is the whole one-line message."""

    exit_code = EXIT_USAGE
    code = "error"  # the stable name a JSON-mode error carries (``{"error": {"code": ...}}``)


class UsageError(OptctlError):
    """Wrong arguments, missing or unreadable input files."""

    code = "usage"


class EnvironmentProblem(OptctlError):
    """The configured store or environment cannot be used (connection, auth, missing database)."""

    code = "environment"


class ConflictError(OptctlError):
    """A compare-and-swap lost: the document changed since it was read. Nothing was written."""

    exit_code = EXIT_PROBLEMS
    code = "conflict"


class NotFoundError(OptctlError):
    """A service, revision or rollout that does not exist."""

    exit_code = EXIT_PROBLEMS
    code = "not-found"


class InvalidDocumentError(OptctlError):
    """A write was refused because the result would not pass the contract."""

    exit_code = EXIT_PROBLEMS
    code = "invalid-document"
