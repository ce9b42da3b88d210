"""A reviewer's verdict on a received signal, sent back through python-threatexchange's
own clients where the exchange's API takes feedback. The library's exchanges implement
``report_opinion`` for none of the remote APIs (1.2.17), but their clients have the calls:

- ThreatExchange: a reaction on each other member's descriptor of the indicator
  (``react_to_threat_descriptor``, a POST on the descriptor). ``confirmed`` is
  ``HELPFUL`` and ``false_positive`` is ``DISAGREE_WITH_TAGS``: the two reactions the
  library itself reads back as a positive and a negative opinion. The other of the two
  is taken off (``remove_reaction_from_threat_descriptor``), so a verdict reversed on
  appeal leaves only the new one.
- NCMEC: feedback on the entry's fingerprint (``submit_feedback``, a PUT of a
  ``feedbackSubmission``): ``confirmed`` is an upvote, ``false_positive`` a downvote with
  NCMEC's reason (the source's ``ncmec_negative_reason`` GUID, or the only reason NCMEC
  offers for the type; with several and none chosen it is refused, naming them).
- StopNCII: ``submit_feedback`` (a POST to SubmitFeedback): ``confirmed`` is
  ``Blocked`` (reviewed, found to be what the hash says), ``false_positive`` is
  ``NotBlocked``. It needs the SubmitFeedback function key (the credentials file's
  second line); without it the verdict is recorded as not sent.
- Tech Against Terrorism: its hash list API takes no feedback.
- local_file: the library's ``report_opinion`` (a confirmed signal appended to the file).

Each call is idempotent at the exchange (a reaction, a vote, a CSP's feedback is one per
member and signal), so a retry after a failure part-way sends nothing twice that counts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from threatexchange.exchanges.clients.ncmec import hash_api as ncmec_api
from threatexchange.exchanges.clients.stopncii import api as stopncii_api

from mediaproof.exchange.sources import PytxExchange
from mediaproof.services.exchange_pytx_clients import _BY_NAME, Client, TryLater

# Graph API error codes that mean "not now" (unknown error, service down, rate limits)
TE_TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613})
TE_REACTION = {"confirmed": "HELPFUL", "false_positive": "DISAGREE_WITH_TAGS"}
NCII_FEEDBACK = {
    "confirmed": stopncii_api.StopNCIICSPFeedbackValue.Blocked,
    "false_positive": stopncii_api.StopNCIICSPFeedbackValue.NotBlocked,
}


class Unsupported(Exception):
    """The exchange takes no such verdict (or cannot be sent one with this setup)."""


class Refused(Exception):
    """The exchange cannot take this verdict, now or later (no id to send it to...)."""


def _refs(refs: Sequence[str]) -> list[dict[str, Any]]:
    return [json.loads(r) for r in refs if r]


def _te_answer(result: Any) -> None:
    """The library's POST returns ``[error, exception, body]`` without looking at it."""
    body = result[2] if isinstance(result, list) and len(result) == 3 else None
    if isinstance(body, dict) and body.get("success") is True:
        return
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict) and err.get("code") not in TE_TRANSIENT_CODES:
        raise Refused(f"ThreatExchange: {str(err.get('message') or err)[:300]}")
    raise TryLater(f"ThreatExchange answered {str(body)[:300]}")


def _threatexchange(client: Client, opinion: str, refs: Sequence[str]) -> int:
    ids = sorted({int(d) for r in _refs(refs) for d in r.get("descriptors", ())})
    if not ids:
        raise Refused("no other member's descriptor of this signal is held to react to")
    add = TE_REACTION[opinion]
    other = next(v for k, v in TE_REACTION.items() if k != opinion)
    api = client.api.client  # type: ignore[attr-defined]
    for d in ids:
        _te_answer(api.react_to_threat_descriptor(d, add))
        _te_answer(api.remove_reaction_from_threat_descriptor(d, other))
    return len(ids)


def _ncmec(client: Client, opinion: str, refs: Sequence[str]) -> int:
    entries = sorted(
        {(int(r["esp_id"]), str(r["entry_id"]), str(r["fingerprint"])) for r in _refs(refs)}
    )
    if not entries:
        raise Refused("no NCMEC entry of this signal is held to give feedback on")
    api = client.api.get_client(client.collab.environment)  # type: ignore[attr-defined]
    reason = client.options.get("ncmec_negative_reason") or None
    vote = (
        ncmec_api.FeedbackType.upvote if opinion == "confirmed" else ncmec_api.FeedbackType.downvote
    )
    for esp, entry, fp in entries:
        try:
            api.submit_feedback(esp, entry, ncmec_api.FingerprintType(fp), vote, reason)
        except Exception as e:
            # the library raises a bare Exception when NCMEC offers several reasons
            if type(e) is Exception and "feedback" in str(e).lower():
                raise Refused(
                    f"NCMEC needs a reason for a downvote: {e}; set the source's "
                    "ncmec_negative_reason to one of them"
                ) from e
            raise
    return len(entries)


def _stop_ncii(client: Client, signal_type: str, value: str, opinion: str) -> int:
    if not client.feedback_key:
        raise Unsupported(
            "not sent: StopNCII takes feedback only with a SubmitFeedback function key "
            "(the credentials file's second line), and none is given"
        )
    st = (
        stopncii_api.StopNCIISignalType.ImagePDQ
        if signal_type == "pdq"
        else stopncii_api.StopNCIISignalType.VideoMD5
    )
    client.api.api.submit_feedback(st, value, NCII_FEEDBACK[opinion])  # type: ignore[attr-defined]
    return 1


def send(client: Client, signal_type: str, value: str, opinion: str, refs: Sequence[str]) -> int:
    """Send one verdict (``confirmed`` or ``false_positive``); how many of the exchange's
    records it went to. Raises Unsupported, Refused, or what the client raises (an HTTP
    error, TryLater: worth retrying)."""
    ex = client.exchange
    if ex is PytxExchange.FB_THREATEXCHANGE:
        return _threatexchange(client, opinion, refs)
    if ex is PytxExchange.NCMEC:
        return _ncmec(client, opinion, refs)
    if ex is PytxExchange.STOP_NCII:
        return _stop_ncii(client, signal_type, value, opinion)
    if ex is PytxExchange.LOCAL_FILE:
        from threatexchange.exchanges import fetch_state as state

        cat = state.SignalOpinionCategory
        category = cat.POSITIVE_CLASS if opinion == "confirmed" else cat.NEGATIVE_CLASS
        try:
            client.api.report_opinion(
                _BY_NAME[signal_type], value, state.SignalOpinion(True, category, set())
            )
        except NotImplementedError as e:
            raise Unsupported(f"a local file takes no {opinion} opinion") from e
        return 1
    raise Unsupported("Tech Against Terrorism's hash list API takes no feedback")
