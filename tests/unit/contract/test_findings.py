"""The one wording of a finding, used by validate's reports, write refusals and rollout plans alike."""

from optctl.contract.findings import Finding, error


def test_a_finding_reads_place_message_value_hint():
    finding = Finding("wrong-type", "error", "/cache/enabled", "expected a boolean", "write true without quotes", '"true"')
    assert finding.text() == '/cache/enabled: expected a boolean (got "true"); write true without quotes'
    assert finding.text("optimization.cache.enabled").startswith("optimization.cache.enabled: expected")
    assert error("x", "", "cannot tell what kind of document this is").text() == "cannot tell what kind of document this is"
