"""The commented ``optctl.toml`` that ``optctl init`` writes, and the write that never overwrites one."""

from __future__ import annotations

from pathlib import Path

from optctl.errors import UsageError
from optctl.settings.project import PROJECT_FILE

PROJECT_TEMPLATE = """\
# optctl.toml: the environments optctl controls and where each one's documents live.
# optctl finds this file through --config, then OPTCTL_CONFIG, then the nearest optctl.toml
# up from the working folder. Environments are listed in promotion order.
#
# Credentials never go in this file (nor on the command line): name the environment
# variables or files that hold them with username_env / password_env / username_file /
# password_file.
#
# Every commented block below can be uncommented on its own, or together with the others:
# none of them repeats a key that is already set.

[environments.dev]
# The embedded store: a SQLite file, relative to this file. No server needed.
url = "sqlite:///optctl.db"
# lock_timeout = 30   # seconds a write waits for another's write lock (or OPTCTL_LOCK_TIMEOUT)

[environments.staging]
url = "sqlite:///optctl.db"

[environments.production]
# Where production's documents live: keep exactly ONE url line uncommented. PipesHub keeps
# its model configs in ArangoDB: to use it, comment out the sqlite line, uncomment the
# arangodb one, and uncomment one of the two credential blocks below.
url = "sqlite:///optctl.db"
# url = "arangodb+https://arango.internal:8529/pipeshub"   # or arangodb://host:8529/database

# ArangoDB settings, shown with their defaults:
# collection = "ai_configs"
# history_collection = "optctl_history"    # optctl's audit trail
# verify_tls = true
# ca_bundle = "/etc/ssl/certs/internal-ca.pem"   # a private CA's bundle (default: the system's)

# ArangoDB credentials from environment variables:
# username_env = "OPTCTL_ARANGO_USER"
# password_env = "OPTCTL_ARANGO_PASSWORD"

# ... or from files (mounted secrets):
# username_file = "/run/secrets/arango-user"
# password_file = "/run/secrets/arango-password"

# When a document's _key is not the service name:
# [environments.production.keys]
# indexing = "anthropic_indexing_config"

# Rollouts are recorded in the project's own store, beside the documents they change, so that
# everyone using this file sees, advances and aborts the same rollout. By default in the
# production environment's store; on ArangoDB in two collections you create once:
# [rollouts]
# environment = "production"
# collection = "optctl_rollouts"                  # the default
# journal_collection = "optctl_rollout_journal"   # the default
"""


def write_project_file(folder: Path) -> Path | None:
    """Write the commented template; an existing file is never overwritten (``None`` then)."""
    path = folder / PROJECT_FILE
    if path.exists():
        return None
    try:
        path.write_text(PROJECT_TEMPLATE, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{path}: cannot write ({err.strerror or err})") from None
    return path
