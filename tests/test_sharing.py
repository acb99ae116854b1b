"""Share-link tokens and validity (pure; the stored links are tested in test_share_links)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.sharing import LinkState, looks_like_token, new_token, opens, share_url, status, token_hash

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_tokens_are_long_random_and_url_safe():
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(t) == 43 and looks_like_token(t) for t in tokens)


def test_hash_is_sha256_hex_of_the_token():
    assert token_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert token_hash(" abc\n") == token_hash("abc")


@pytest.mark.parametrize(
    "text", [None, "", "short", "has space in it 0123456789", "x" * 101, "<script>0123456789012345"]
)
def test_not_a_token(text):
    assert not looks_like_token(text)


@pytest.mark.parametrize(
    ("link", "expected_opens", "expected_status"),
    [
        (LinkState(None, None), True, "active"),
        (LinkState(None, NOW + timedelta(seconds=1)), True, "active"),
        (LinkState(None, NOW), False, "expired"),  # expiry is exclusive
        (LinkState(NOW - timedelta(days=1), None), False, "revoked"),
        (LinkState(None, None, owner_deleted=True), False, "active"),
    ],
)
def test_opens_and_status(link, expected_opens, expected_status):
    assert opens(link, NOW) is expected_opens
    assert status(link, NOW) == expected_status


def test_share_url():
    assert share_url("https://credence.example.org/", "T0K") == "https://credence.example.org/?share=T0K"
