"""The cheap search that lets most strings skip the secret-shape patterns never skips a secret."""

import re
import sys

from hypothesis import given
from hypothesis import strategies as st

from optctl.documents import redact


@given(st.from_regex(redact._SHAPED))
def test_every_string_the_shape_patterns_match_passes_the_cheap_search(text):
    assert redact._MAYBE_SHAPED.search(text)


@given(st.text())
def test_scrub_shapes_is_the_same_with_and_without_the_cheap_search(text):
    assert redact.scrub_shapes(text) == redact._SHAPED.sub(redact._replacement, text)


def test_bearer_spelled_out_is_bearer_in_any_case():
    """The cheap search spells ``bearer``'s cases out: right only while no other character matches
    one of its letters without regard to case (as ``K``, the Kelvin sign, matches ``k``)."""
    folding = re.compile("(?i)[bear]")
    assert {c for c in map(chr, range(sys.maxunicode + 1)) if folding.fullmatch(c)} == set("bearBEAR")
