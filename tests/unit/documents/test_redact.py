from optctl.documents.redact import REDACTED, is_secret_pointer, redact, scrub, secret_values


def test_secrets_are_redacted_by_key_name_at_any_depth():
    doc = {"configuration": {"apiKey": "sk-1", "model": "m"}, "extra": [{"password": "pw"}],
           "optimization": {"cache": {"min_tokens_to_cache": 1024}}}
    out = redact(doc)
    assert out["configuration"] == {"apiKey": REDACTED, "model": "m"}
    assert out["extra"] == [{"password": REDACTED}]
    assert out["optimization"] == doc["optimization"]
    assert doc["configuration"]["apiKey"] == "sk-1"  # the input is untouched


def test_token_counts_are_not_secrets():
    assert not is_secret_pointer("/optimization/cache/min_tokens_to_cache")
    assert is_secret_pointer("/configuration/apiKey")


def test_scrub_removes_secret_values_from_free_text():
    secrets = secret_values({"configuration": {"apiKey": "sk-ant-xyz"}})
    assert scrub("value 'sk-ant-xyz' is wrong", secrets) == f"value '{REDACTED}' is wrong"
