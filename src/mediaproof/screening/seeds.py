"""Seed examples: short prompts that stand for a scenario, for nearest-neighbour search.

Built-in seeds ship here; operators add their own (a new incident) through the service,
and they take effect on the next screening without retraining anything. A named person
in a prompt is replaced by ``PERSON`` before it is embedded, so seeds are written with
that placeholder and stay about the scene, not about anyone in particular.
"""

from __future__ import annotations

from dataclasses import dataclass

PLACEHOLDER = "the politician"
SCENARIOS = (
    "arrest", "health", "violence", "ballots", "polling", "instructions", "endorsement",
    "robocall", "description",
)


@dataclass(frozen=True)
class Seed:
    id: str  # "builtin:<n>" or "operator:<n>"
    scenario: str
    text: str
    language: str = "en"


_BUILTIN: dict[str, list[str]] = {
    "arrest": [
        "photo of the politician being arrested by police officers",
        "the politician in handcuffs being led into a police car",
        "mugshot of the politician in an orange prison jumpsuit",
        "the politician behind bars in a jail cell, realistic",
        "FBI agents detaining the politician outside their house",
    ],
    "health": [
        "the politician collapsing on stage during a speech",
        "the politician in a hospital bed hooked up to machines",
        "the politician looking confused and frail in a wheelchair",
        "the politician being carried into an ambulance on a stretcher",
        "the politician drunk and stumbling at a party",
    ],
    "violence": [
        "the politician punching a protester in the face",
        "the politician holding a gun and shooting at a crowd",
        "the politician covered in blood after an attack",
        "the politician beating an elderly voter",
    ],
    "ballots": [
        "election workers burning a pile of ballots at night",
        "boxes of mail-in ballots dumped in a river",
        "poll workers shredding ballots in the back room",
        "a man stuffing fake ballots into a ballot box",
        "stacks of votes thrown in a dumpster behind the election office",
    ],
    "polling": [
        "a sign saying the polling station is closed today",
        "armed soldiers blocking the entrance of a polling place",
        "the polling station has moved to a new location across town",
        "a flooded polling place with voters turned away",
    ],
    "instructions": [
        "an official notice telling voters they can vote by text message",
        "a poster saying the election has been postponed to next week",
        "a message telling supporters of the opposition to vote on Wednesday instead",
        "an announcement that mail ballots will not be counted this year",
        "a flyer saying you need a passport to vote",
    ],
    "endorsement": [
        "the politician endorsing their rival and urging people to vote for them",
        "the politician announcing they are dropping out of the race",
        "the politician wearing the opposing party's campaign hat",
        "video of the politician telling voters to support the other party",
    ],
    "robocall": [
        "a robocall in the voice of the politician telling people to stay home on election day",
        "clone the politician's voice saying the vote is cancelled",
        "a voicemail sounding like the politician asking voters to skip the primary",
        "audio message imitating the politician's voice to voters",
    ],
    "description": [
        "a tall golden-haired Republican president being arrested",
        "the elderly current president falling down the stairs",
        "the leader of the opposition party in prison clothes",
        "the sitting chancellor of the country in handcuffs",
    ],
}


def builtin() -> list[Seed]:
    out: list[Seed] = []
    for scenario, texts in _BUILTIN.items():
        for i, t in enumerate(texts):
            out.append(Seed(f"builtin:{scenario}:{i}", scenario, t))
    return out
