"""The rules of team mode as plain values (the action layer's checks are tested in test_team_actions)."""

from __future__ import annotations

import pytest

from models.errors import NotAllowed
from models.permissions import (
    ADMIN_ONLY,
    OWNED,
    SHARED,
    Actor,
    TeamPolicy,
    Thing,
    Verb,
    decide,
    parse_list,
    require,
    require_admin,
    require_import,
    sign_in_refusal,
)

ANA = Actor.member("ana", 1, "ana@lab.example")
BEN = Actor.member("ben", 2, "ben@lab.example")
ADMIN = Actor.member("cleo", 3, "cleo@lab.example", admin=True)
LAPTOP = Actor.local("ana")


def test_every_thing_has_exactly_one_rule():
    assert OWNED | SHARED | ADMIN_ONLY == set(Thing)
    assert not (OWNED & SHARED) and not (OWNED & ADMIN_ONLY) and not (SHARED & ADMIN_ONLY)


@pytest.mark.parametrize("verb", list(Verb))
@pytest.mark.parametrize("thing", sorted(OWNED))
def test_member_may_change_their_own_beliefs(thing, verb):
    assert decide(ANA, verb, thing, owner_id=1).allowed


@pytest.mark.parametrize("verb", list(Verb))
@pytest.mark.parametrize("thing", sorted(OWNED))
def test_member_may_not_change_another_researchers_beliefs(thing, verb):
    decision = decide(ANA, verb, thing, owner_id=2, owner_handle="ben")
    assert not decision.allowed
    assert "ana may not" in decision.reason and "only their own" in decision.reason


@pytest.mark.parametrize("thing", [Thing.forecast, Thing.ratio, Thing.question_partition])
def test_admin_may_not_write_another_researchers_beliefs(thing):
    assert not decide(ADMIN, Verb.edit, thing, owner_id=1, owner_handle="ana").allowed
    assert not decide(ADMIN, Verb.create, thing, owner_id=1, owner_handle="ana").allowed


def test_admin_may_revoke_anyones_share_link_but_not_create_one_for_them():
    assert decide(ADMIN, Verb.delete, Thing.share_link, owner_id=1).allowed
    assert not decide(ADMIN, Verb.create, Thing.share_link, owner_id=1).allowed


def test_refusal_names_the_owner_and_the_rule():
    reason = decide(ANA, Verb.edit, Thing.forecast, owner_id=2, owner_handle="ben").reason
    assert reason == "ana may not edit ben's forecast: each researcher changes only their own forecasts."


def test_refusal_to_create_for_someone_else_names_them():
    reason = decide(ANA, Verb.create, Thing.forecast, owner_id=2, owner_handle="ben").reason
    assert (
        reason == "ana may not create a forecast for ben: each researcher changes only their own forecasts."
    )


def test_owned_thing_with_unknown_owner_is_refused():
    assert not decide(ANA, Verb.edit, Thing.forecast, owner_id=None).allowed


@pytest.mark.parametrize("verb", list(Verb))
@pytest.mark.parametrize("thing", sorted(SHARED))
def test_every_member_curates_shared_things(thing, verb):
    assert decide(ANA, verb, thing).allowed and decide(BEN, verb, thing).allowed


@pytest.mark.parametrize("verb", list(Verb))
@pytest.mark.parametrize("thing", sorted(ADMIN_ONLY))
def test_admin_only_things_are_refused_to_members(thing, verb):
    decision = decide(BEN, verb, thing)
    assert not decision.allowed and decision.reason.startswith("Only an admin may")
    assert decide(ADMIN, verb, thing).allowed


def test_resolution_refusal_says_what_only_admins_do():
    assert decide(BEN, Verb.create, Thing.resolution).reason == (
        "Only an admin may resolve, re-open or annul a question; ben is not an admin."
    )


@pytest.mark.parametrize("verb", list(Verb))
@pytest.mark.parametrize("thing", list(Thing))
def test_laptop_mode_allows_everything(thing, verb):
    assert decide(LAPTOP, verb, thing, owner_id=99).allowed


def test_require_raises_with_the_reason():
    with pytest.raises(NotAllowed, match="only their own forecasts"):
        require(ANA, Verb.delete, Thing.forecast, owner_id=2, owner_handle="ben")
    require(ANA, Verb.delete, Thing.forecast, owner_id=1)


def test_member_imports_only_their_own_rows():
    require_import(ANA, ["ana", "ana"])
    with pytest.raises(NotAllowed, match="only their own forecasts; this file also has rows for ben"):
        require_import(ANA, ["ana", "ben"])
    with pytest.raises(NotAllowed, match="Only an admin may import researchers"):
        require_import(ANA, ["ana"], creates_researchers=True)
    require_import(ADMIN, ["ana", "ben"], creates_researchers=True)
    require_import(LAPTOP, ["ben"], creates_researchers=True)


def test_require_admin():
    with pytest.raises(NotAllowed, match="Only an admin may restore a backup; ana is not an admin"):
        require_admin(ANA, "restore a backup")
    require_admin(ADMIN, "restore a backup")
    require_admin(LAPTOP, "restore a backup")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, set()),
        ("", set()),
        ("Ana@Lab.Example", {"ana@lab.example"}),
        ("a@x.example, b@x.example", {"a@x.example", "b@x.example"}),
        ("a@x.example b@x.example\n", {"a@x.example", "b@x.example"}),
        ('["A@x.example", "b@x.example"]', {"a@x.example", "b@x.example"}),
    ],
)
def test_parse_list(text, expected):
    assert parse_list(text) == expected


POLICY = TeamPolicy.from_values(
    allowed_emails="guest@elsewhere.example", allowed_domains="@lab.example", admins="boss@hq.example"
)


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("ana@lab.example", True),
        ("ANA@LAB.EXAMPLE", True),
        ("guest@elsewhere.example", True),
        ("boss@hq.example", True),  # admins are members
        ("other@elsewhere.example", False),
        ("ana@sub.lab.example", False),  # a listed domain is matched exactly
        ("ana@lab.example.evil.example", False),
        ("lab.example", False),
        ("@lab.example", False),
    ],
)
def test_may_join(email, allowed):
    assert POLICY.may_join(email) is allowed


def test_nothing_configured_admits_nobody():
    assert not TeamPolicy.from_values().may_join("ana@lab.example")


def test_admins_compare_case_insensitively():
    assert POLICY.is_admin("Boss@HQ.example") and not POLICY.is_admin("ana@lab.example")


def test_sign_in_refusals():
    assert sign_in_refusal(POLICY, "ana@lab.example", True) is None
    assert sign_in_refusal(POLICY, "ana@lab.example", None) is None
    assert "not verified" in (sign_in_refusal(POLICY, "ana@lab.example", False) or "")
    assert "did not give Credence an e-mail" in (sign_in_refusal(POLICY, None, True) or "")
    assert sign_in_refusal(POLICY, "x@elsewhere.example", True) == (
        "x@elsewhere.example is not allowed to use this Credence. Ask its administrator to add you."
    )
