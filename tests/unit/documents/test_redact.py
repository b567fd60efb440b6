"""The redaction rule: secret key names, everything under ``configuration`` but an allow-list, secret shapes."""

import pytest

from optctl.documents.redact import REDACTED, is_secret_key, is_secret_pointer, redact, scrub, secret_values

# Every case the reliability run found printed in clear, with a value that must never be shown.
PLANTED = {
    "awsSecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "headers": {"Authorization": "Basic dXNlcjpodW50ZXIy", "Cookie": "session=s3ss10nc00k1e"},
    "passphrase": "correct horse battery staple",
    "privateKeyPem": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
    "apiKeys": ["first-key-0001", "second-key-0002"],
    "bearer": "opaque-bearer-value-0003",
    "credentials": {"key": "credentials-key-0004", "id": "credentials-id-0005"},
}
SHAPED = {  # secret by what the value looks like, under keys that say nothing
    "notes": "call with sk-ant-api03-abcdefghijklmnop0123 please",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "mirror": "https://deploy:Pa55w0rd-0006@git.internal/repo.git",
    "connectionString": "Server=db;Database=x;User Id=u;Password=Pa55-0007;",
    "dsn": "Host=db;Pwd=Pa55-0008",
    "header": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",
    "pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n",
}
CONFIGURATION = {
    "model": "claude-sonnet-4-5-20250929",
    "temperature": 0.2,
    "maxTokens": 4096,
    "baseUrl": "https://user:Pa55-0009@api.example.com/v1",
    "apiKey": "sk-ant-test-0010-secret",
    "organization": "org-plain-0011",
    "region": "eu-west-1",
    "seed": 424242,
    "useTls": True,
    "proxy": None,
}
SECRETS = [
    "wJalrXUtnFEMI",
    "dXNlcjpodW50ZXIy",
    "s3ss10nc00k1e",
    "battery staple",
    "MIIEvQIBADAN",
    "key-0001",
    "key-0002",
    "value-0003",
    "key-0004",
    "id-0005",
    "abcdefghijklmnop0123",
    "AKIAIOSFODNN7EXAMPLE",
    "Pa55w0rd-0006",
    "Pa55-0007",
    "Pa55-0008",
    "eyJhbGciOiJIUzI1NiJ9",
    "MIIBOgIBAAJBAKj34",
    "Pa55-0009",
    "0010-secret",
    "org-plain-0011",
    "424242",
]


def document():
    return {
        "_key": "indexing",
        "provider": "anthropic",
        **PLANTED,
        **SHAPED,
        "configuration": dict(CONFIGURATION),
        "optimization": {"cache": {"enabled": True, "min_tokens_to_cache": 1024}},
    }


def test_every_planted_secret_is_gone_and_the_rest_is_kept():
    out = redact(document())
    text = repr(out)
    assert [s for s in SECRETS if s in text] == []
    assert out["optimization"] == {"cache": {"enabled": True, "min_tokens_to_cache": 1024}}
    assert out["_key"] == "indexing" and out["provider"] == "anthropic"
    assert out["headers"] == {"Authorization": REDACTED, "Cookie": REDACTED}
    assert out["apiKeys"] == [REDACTED, REDACTED] and out["credentials"] == {"key": REDACTED, "id": REDACTED}


def test_configuration_shows_only_allow_listed_fields_and_base_urls_lose_their_userinfo():
    out = redact(document())["configuration"]
    assert out == {
        "model": "claude-sonnet-4-5-20250929",
        "temperature": 0.2,
        "maxTokens": 4096,
        "baseUrl": f"https://{REDACTED}@api.example.com/v1",
        "apiKey": REDACTED,
        "organization": REDACTED,
        "region": "eu-west-1",
        "seed": REDACTED,
        "useTls": True,
        "proxy": None,
    }


def test_shaped_secrets_keep_their_context():
    out = redact(SHAPED)
    assert out["notes"] == f"call with {REDACTED} please"
    assert out["mirror"] == f"https://{REDACTED}@git.internal/repo.git"
    assert out["connectionString"] == REDACTED  # a secret by its name too
    assert out["dsn"] == f"Host=db;Pwd={REDACTED}"
    assert out["header"] == f"Bearer {REDACTED}"
    assert out["pem"] == REDACTED


def test_the_input_is_left_untouched():
    original = document()
    redact(original)
    assert original == document()


@pytest.mark.parametrize(
    "key",
    [
        "apiKey",
        "api_key",
        "X-Api-Key",
        "APIKEY",
        "awsSecretAccessKey",
        "client_secret",
        "Authorization",
        "Set-Cookie",
        "passphrase",
        "privateKeyPem",
        "PRIVATE_KEY",
        "apiKeys",
        "bearer",
        "credentials",
        "refreshToken",
        "id_token",
        "password",
        "db_pwd",
    ],
)
def test_secret_key_names_in_any_style(key):
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "_key",
        "min_tokens_to_cache",
        "max_tokens",
        "maxTokens",
        "tokenizer",
        "model",
        "keys",
        "provider",
        "monkey",
        "enabled",
        "cache_control",
        "description",
    ],
)
def test_names_that_are_not_secrets(key):
    assert not is_secret_key(key)


def test_secret_pointers_follow_the_same_rule():
    assert is_secret_pointer("/configuration/apiKey") and is_secret_pointer("/headers/Authorization")
    assert is_secret_pointer("/configuration/organization") and is_secret_pointer("/apiKeys/0")
    assert not is_secret_pointer("/configuration/model") and not is_secret_pointer("/optimization/cache/min_tokens_to_cache")
    assert not is_secret_pointer("/0/configuration/temperature")


def test_scrub_removes_known_values_and_secret_shapes_from_free_text():
    secrets = secret_values(document())
    message = "gate said: 'correct horse battery staple' from https://u:p4ss@h/x with AKIAIOSFODNN7EXAMPLE; Password=hunter2;"
    scrubbed = scrub(message, secrets)
    assert [s for s in ("battery staple", "p4ss", "AKIAIOSFODNN7EXAMPLE", "hunter2") if s in scrubbed] == []
    assert scrubbed.startswith("gate said: '") and "https://" in scrubbed


def test_a_redacted_document_is_known_by_its_marker():
    assert REDACTED in secret_values(redact(document()))
    assert REDACTED not in secret_values(document())
