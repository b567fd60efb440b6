"""Environments: which store each environment lives in, from ``optctl.toml`` or the embedded default.

Lookup order for the project file: ``--config``, then ``OPTCTL_CONFIG``, then the nearest
``optctl.toml`` up from the working folder. With none, optctl uses the embedded default: one
SQLite file under ``OPTCTL_HOME`` (default: the user's data folder) holding the environments
``dev``, ``staging`` and ``production``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EnvironmentConfig:
    """One environment's store settings. Credentials are named here, never stored here."""

    name: str
    url: str  # sqlite:///path/to/file.db | arangodb://host:8529/db | arangodb+https://host:8529/db
    collection: str = "ai_configs"
    history_collection: str = "optctl_history"
    username_env: str | None = None
    password_env: str | None = None
    username_file: str | None = None
    password_file: str | None = None
    verify_tls: bool = True
    ca_bundle: str | None = None
    keys: dict[str, str] = field(default_factory=dict)  # service name -> document key

    def key_for(self, service: str) -> str:
        return self.keys.get(service, service)

    def service_for(self, key: str) -> str:
        for service, mapped in self.keys.items():
            if mapped == key:
                return service
        return key
