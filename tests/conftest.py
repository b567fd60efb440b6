"""Shared test settings: every test runs with its own empty optctl home, on a RAM disk where there is one."""

import os
import tempfile

import pytest
from hypothesis import HealthCheck, settings

# The store_factory fixture (every backend) serves the contract suite and the unit tests alike;
# no_backoff (tests/support/network.py) the tests of a server that is down.
pytest_plugins = ["tests.support.stores", "tests.support.records", "tests.support.network"]

# "ci" is the default: the same examples on every run, so a submission's CI result does not
# depend on luck; "explore" draws new random examples each run, "thorough" many more of them.
settings.register_profile("ci", max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


RAM_DISK = "/dev/shm"


def pytest_configure(config):
    """Temporary folders (tmp_path, and whatever the tests' child processes make) on the RAM disk.

    The SQLite store commits with ``synchronous = FULL``: on a disk shared with other work each
    commit's fsync can take tens of milliseconds, which made store tests wait more than they
    computed. No test here is about surviving power loss (the SIGKILL tests need only what the
    kernel already holds), so a tmpfs changes no outcome. A TMPDIR or --basetemp that is given
    wins; without a RAM disk with room to spare (Linux's /dev/shm), nothing changes."""
    if "TMPDIR" in os.environ or config.option.basetemp or not os.path.isdir(RAM_DISK) or not os.access(RAM_DISK, os.W_OK):
        return
    free = os.statvfs(RAM_DISK)
    if free.f_bavail * free.f_frsize < 1 << 30:
        return
    os.environ["TMPDIR"] = RAM_DISK
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("optctl-home")
    monkeypatch.setenv("OPTCTL_HOME", str(home))
    monkeypatch.delenv("OPTCTL_CONFIG", raising=False)
    monkeypatch.delenv("OPTCTL_ENV", raising=False)
    monkeypatch.delenv("OPTCTL_OUTPUT", raising=False)
    monkeypatch.setenv("OPTCTL_ACTOR", "test-operator")
    return home
