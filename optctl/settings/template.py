"""The commented ``optctl.toml`` that ``optctl init`` writes, and the write that never overwrites one."""

from __future__ import annotations

from pathlib import Path

from optctl.errors import UsageError
from optctl.settings.project import PROJECT_FILE

PROJECT_TEMPLATE = '''\
# optctl.toml: the environments optctl controls and where each one's documents live.
# optctl finds this file through --config, then OPTCTL_CONFIG, then the nearest optctl.toml
# up from the working folder. Environments are listed in promotion order.
#
# Credentials never go in this file (nor on the command line): name the environment
# variables or files that hold them with username_env / password_env / username_file /
# password_file.

[environments.dev]
# The embedded store: a SQLite file, relative to this file. No server needed.
url = "sqlite:///optctl.db"
# lock_timeout = 30   # seconds a write waits for another's write lock (or OPTCTL_LOCK_TIMEOUT)

[environments.staging]
url = "sqlite:///optctl.db"

[environments.production]
url = "sqlite:///optctl.db"
# PipesHub keeps its model configs in ArangoDB; point an environment at it like this:
# url = "arangodb+https://arango.internal:8529/pipeshub"   # or arangodb://host:8529/database
# collection = "ai_configs"                # the default
# history_collection = "optctl_history"    # the default; optctl's audit trail
# username_env = "OPTCTL_ARANGO_USERNAME"  # or username_file = "/run/secrets/arango-username"
# password_file = "/run/secrets/arango-password"   # or password_env = "OPTCTL_ARANGO_PASSWORD"
# verify_tls = true                        # the default
# ca_bundle = "/etc/ssl/certs/internal-ca.pem"
#
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
'''


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
