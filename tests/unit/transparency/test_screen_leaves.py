"""Screening decisions as log leaves (issue 19): a block's ``screen.decided`` leaf holds
rule ids, the policy and keyed hashes, never the prompt's words or the tool's raw user
reference, even where the operator opted in to keeping prompt text for review."""

from __future__ import annotations

import json
from pathlib import Path

from mediaproof.config import ScreeningSettings, Settings
from mediaproof.services import screening as svc
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_log_outbox import LogOutboxRepository
from mediaproof.transparency.entries import Entry

PROMPT = "Photo of Elena Marchetti being arrested and led away in handcuffs"
USER = "u-raw.4711"


def _staged(inst: Instance) -> list[Entry]:
    with inst.db.session() as s:
        return [Entry.parse(bytes(r.body)) for r in LogOutboxRepository(s).unsent()]


def test_a_block_leaf_holds_no_prompt_text_and_no_raw_user_reference(
    instance: Instance,
) -> None:
    instance.settings.screening = ScreeningSettings(embeddings=False, keep_prompt_text=True)
    svc.add_official(instance, "Elena Marchetti")
    res = svc.ScreeningService(instance, embedder=False).screen(PROMPT, "toolmaker", USER)
    assert res.decision.decision == "block" and res.event_id is not None
    # the record kept the text (opted in); the leaf does not
    [event] = svc.list_events(instance)
    assert event["prompt_text"] == PROMPT
    [leaf] = _staged(instance)
    raw = leaf.canonical.decode()
    for word in PROMPT.lower().split():
        if len(word) > 3:
            assert word not in raw.lower(), word
    assert USER not in raw and "4711" not in raw
    d = leaf.data
    assert d["type"] == "screen.decided" and d["decision"] == "block"
    assert d["tool"] == "toolmaker" and d["input"] == "prompt"
    assert d["event_id"] == f"screen-event-{res.event_id}"
    assert d["input_hmac"] == svc.prompt_hmac(instance, PROMPT) == event["prompt_hmac"]
    assert d["user_hmac"] == svc.user_hmac(instance, "toolmaker", USER)
    assert d["policy"] == f"policy:{res.decision.policy_version}"
    assert d["rules"] == sorted({r.rule for r in res.decision.reasons})
    assert not any("person" in k or "matched" in k for k in d)
    assert "Marchetti" not in json.dumps(d["rules"])


def test_the_user_hash_is_keyed_per_tool_and_per_instance(
    instance: Instance, tmp_path: Path
) -> None:
    a = svc.user_hmac(instance, "tool-a", USER)
    assert a != svc.user_hmac(instance, "tool-b", USER)  # two tools' "u1" are two people
    other = Instance(Settings(home=tmp_path / "other"))
    try:
        assert a != svc.user_hmac(other, "tool-a", USER)  # another instance's key
    finally:
        other.close()
    assert a == svc.user_hmac(instance, "tool-a", USER)


def test_an_allowed_prompt_stages_nothing(instance: Instance) -> None:
    res = svc.ScreeningService(instance, embedder=False).screen(
        "a lighthouse at dawn", "toolmaker", USER
    )
    assert res.decision.decision == "allow" and res.to_json()["log"] is None
    assert _staged(instance) == []
