"""Shared test settings: every test runs with its own empty optctl home."""

import os

import pytest
from hypothesis import HealthCheck, settings

# The store_factory fixture (every backend) serves the contract suite and the unit tests alike.
pytest_plugins = ["tests.support.stores", "tests.support.records"]

# "ci" is the default: the same examples on every run, so a submission's CI result does not
# depend on luck; "explore" draws new random examples each run, "thorough" many more of them.
settings.register_profile("ci", max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("optctl-home")
    monkeypatch.setenv("OPTCTL_HOME", str(home))
    monkeypatch.delenv("OPTCTL_CONFIG", raising=False)
    monkeypatch.delenv("OPTCTL_ENV", raising=False)
    monkeypatch.delenv("OPTCTL_OUTPUT", raising=False)
    monkeypatch.setenv("OPTCTL_ACTOR", "test-operator")
    return home
