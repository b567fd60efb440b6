"""``rollout advance`` on ArangoDB sends as many HTTP requests for 30 services as for 3 (the
bench, ``bench/bench_rollout_requests.py``, shows 5, 50 and 500)."""

from __future__ import annotations

import importlib.util

from tests.support import paths


def test_an_advance_uses_a_constant_number_of_requests(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_rollout_requests", paths.ROOT / "bench" / "bench_rollout_requests.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    (tmp_path / "few").mkdir()
    (tmp_path / "many").mkdir()
    few, many = bench.advance_requests(3, tmp_path / "few"), bench.advance_requests(30, tmp_path / "many")
    assert len(few) == len(many) and len(few) <= 30
