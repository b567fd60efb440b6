"""The Admin API double on 127.0.0.1, answering from the sample buckets, for the Admin API client tests."""

import pytest

from tests.support.usage_report_server import ADMIN_KEY, UsageReportDouble, sample_buckets, serve


@pytest.fixture
def double():
    return UsageReportDouble(key=ADMIN_KEY, buckets=sample_buckets(), page_size=2)


@pytest.fixture
def url(double):
    yield from serve(double)
