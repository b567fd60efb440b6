"""Text is printed as written: an emoji code in a document or a reason stays a code."""

from optctl.render.console import stderr, stdout


def test_emoji_codes_are_not_replaced(capsys):
    stdout().print("reason: rollback :warning: per ticket")
    stderr().print("optctl: service :fire: not found")
    out, err = capsys.readouterr()
    assert ":warning:" in out and ":fire:" in err
