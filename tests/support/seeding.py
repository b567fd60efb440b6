"""Seeding the embedded default with the bundled example services, as `optctl init --example` does."""

from optctl.services.examples import load_examples
from optctl.settings.project import embedded_project
from optctl.stores.factory import open_store


def seed_embedded_examples(actor: str = "seed") -> None:
    """Every environment of the embedded default gets the example services, recorded as ``actor``."""
    for env in embedded_project().environments.values():
        store = open_store(env)
        try:
            load_examples(store, actor)
        finally:
            store.close()
