"""Shared test settings: every test runs with its own empty optctl home."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
