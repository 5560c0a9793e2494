"""The scan-wide call memo: answers shared encrypted as JSON, never pickled, gone with the scan."""

import uuid
from datetime import UTC, datetime

from django.core.cache import caches

from scans.collection.memo import CallMemo, scan_memo_delete

ACCOUNT_ID = "123456789012"
ANSWER = {
    "OpenIDConnectProviderList": [
        {"Arn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/oidc.eks.example.com/id/ABC"}
    ],
    "CreateDate": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
}
KEY = ("call", "iam", "us-east-1", "list_open_id_connect_providers", "{}")


def shared_tokens(scan_id: str) -> list[bytes]:
    memo = caches["scan_calls"]
    tokens, slot = [], 0
    while (cache_key := memo.get(f"{scan_id}:slot:{slot}")) is not None:
        tokens.append(memo.get(cache_key.decode()))
        slot += 1
    return tokens


def test_a_shared_answer_is_stored_encrypted_and_replayed_with_its_types():
    scan_id = str(uuid.uuid4())
    assert CallMemo(scan_id=scan_id).once_per_scan(KEY, lambda: ANSWER) == ANSWER

    [token] = shared_tokens(scan_id)
    assert isinstance(token, bytes)
    assert ACCOUNT_ID.encode() not in token
    assert b"oidc-provider" not in token

    def never_called():
        raise AssertionError("another unit asked AWS again")

    assert CallMemo(scan_id=scan_id).once_per_scan(KEY, never_called) == ANSWER


def test_an_answer_that_was_not_sealed_here_is_never_trusted():
    scan_id = str(uuid.uuid4())
    CallMemo(scan_id=scan_id).once_per_scan(KEY, lambda: ANSWER)
    memo = caches["scan_calls"]
    cache_key = memo.get(f"{scan_id}:slot:0").decode()
    memo.set(cache_key, b"planted by someone with write access to the cache")

    assert CallMemo(scan_id=scan_id).once_per_scan(KEY, lambda: {"fresh": True}) == {"fresh": True}


def test_scan_memo_delete_removes_every_answer_the_scan_shared():
    scan_id, other_scan = str(uuid.uuid4()), str(uuid.uuid4())
    CallMemo(scan_id=scan_id).once_per_scan(KEY, lambda: ANSWER)
    CallMemo(scan_id=scan_id).once_per_scan((*KEY[:-1], '{"a": 1}'), lambda: ANSWER)
    CallMemo(scan_id=other_scan).once_per_scan(KEY, lambda: ANSWER)
    assert len(shared_tokens(scan_id)) == 2

    scan_memo_delete(scan_id=scan_id)

    assert shared_tokens(scan_id) == []
    assert len(shared_tokens(other_scan)) == 1


def test_an_answer_that_arrives_after_the_scan_ended_is_not_kept():
    scan_id = str(uuid.uuid4())
    CallMemo(scan_id=scan_id, should_stop=lambda: True).once_per_scan(KEY, lambda: ANSWER)

    assert all(token is None for token in shared_tokens(scan_id))
