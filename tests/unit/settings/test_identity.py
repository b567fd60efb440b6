"""Who is acting, for the history."""

from optctl.settings.identity import actor


def test_the_actor_is_optctl_actor_else_the_os_user():
    assert actor({"OPTCTL_ACTOR": "alice@ops"}) == "alice@ops"
    assert actor({}) not in ("", None)
