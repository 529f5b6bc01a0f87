"""A small sample of paragraphs written for this project, so the pipeline runs without the corpora.

These sentences are invented; they are never used to report accuracy. Each tuple: text, conspiracy
framing, anti-foreign rhetoric (1 where the sentence voices it). The sentences were written with their
labels, so the build treats them as read: a sentence that reports on a framing from a distance has
that stance in ``REPORTED``.
"""

from __future__ import annotations

from classifier.labels import LABELS
from data.sources import Row

NAME = "sample"

PARAGRAPHS: tuple[tuple[str, float, float], ...] = (
    (
        "The so-called protests were planned months ago by a secret network of foreign-funded NGOs preparing a colour revolution.",
        1,
        1,
    ),
    ("Behind the fuel shortage stands a hidden cabal of global bankers who decide which governments fall.", 1, 0),
    ("The pandemic was engineered by a small circle of elites to tighten their control over ordinary people.", 1, 0),
    ("A shadowy deep state inside the ministries is sabotaging every reform the people voted for.", 1, 0),
    ("The climate agenda is a cover story: a few billionaires plan to seize farmland under green slogans.", 1, 0),
    ("Western embassies are directing the opposition and paying journalists to spread their lies.", 1, 1),
    ("Foreign agents posing as activists want to tear our country apart on orders from Washington.", 1, 1),
    ("Brussels is waging an information war against our nation and its traditional values.", 0, 1),
    ("The West has always hated us and will use any pretext to humiliate our people.", 0, 1),
    ("Those so-called independent media are mouthpieces of foreign governments hostile to our country.", 0, 1),
    ("NATO is pushing towards our borders because it wants to dominate and weaken us.", 0, 1),
    ("Opposition politicians are puppets of London and Washington and betray national interests.", 0, 1),
    ("The minister's budget is a disaster that will hurt pensioners and the poor.", 0, 0),
    ("Critics say the government has mishandled the flood response and ignored early warnings.", 0, 0),
    ("The city council approved a new tram line after two years of debate.", 0, 0),
    ("The European Union extended sanctions on several companies for another six months.", 0, 0),
    ("The foreign ministry summoned the ambassador over remarks made at a press conference.", 0, 0),
    ("Fact-checkers found no evidence for the claim that the protests were organised from abroad.", 0, 0),
    (
        "State television accused foreign NGOs of plotting a colour revolution, a narrative analysts have tracked for years.",
        0,
        0,
    ),
    ("The report describes how pro-government outlets spread the idea that a secret elite runs the world.", 0, 0),
    ("Farmers protested against new fertiliser rules, saying the costs were too high.", 0, 0),
    ("The court convicted three officials of taking bribes in a public procurement scheme.", 0, 0),
    ("Rain is expected across the north on Tuesday, with temperatures falling in the evening.", 0, 0),
    ("The central bank raised interest rates by a quarter point to curb inflation.", 0, 0),
    ("Researchers published new data on the decline of bird populations in farmland areas.", 0, 0),
    ("Vaccination rates rose in the spring after a campaign by local clinics.", 0, 0),
    ("The opposition leader criticised the prime minister for breaking his election promises.", 0, 0),
    ("A new trade agreement with neighbouring countries will lower tariffs on machinery.", 0, 0),
    ("The football club announced the signing of a young striker from the national league.", 0, 0),
    ("The museum reopened after renovation with an exhibition on medieval crafts.", 0, 0),
    (
        "They want you to believe it was an accident, but the blast was ordered by the same elites who profit from war.",
        1,
        0,
    ),
    ("Every protest in our region is financed by foreign foundations that hate our independence.", 1, 1),
    ("Western media invent atrocities to justify their aggression against our country.", 0, 1),
    ("Foreign students will be able to apply for scholarships from next year.", 0, 0),
    ("The government defended its record, saying unemployment had fallen for a third year.", 0, 0),
    ("Journalists documented how a disinformation campaign blamed foreign spies for the blackout.", 0, 0),
)


# Sentences that report on a framing (by their text): (conspiracy framing, anti-foreign rhetoric) reported.
REPORTED: dict[str, tuple[bool, bool]] = {
    "Fact-checkers found no evidence for the claim that the protests were organised from abroad.": (True, True),
    "State television accused foreign NGOs of plotting a colour revolution, a narrative analysts have tracked for years.": (
        True,
        True,
    ),
    "The report describes how pro-government outlets spread the idea that a secret elite runs the world.": (
        True,
        False,
    ),
    "Journalists documented how a disinformation campaign blamed foreign spies for the blackout.": (False, True),
}


def split_of(doc_id: str) -> str:
    """Fixed splits for the sample, so that dev and test each hold positives of both labels."""
    number = int(doc_id.removeprefix("sample-"))
    return {3: "test", 4: "dev"}.get(number % 5, "train")


def load() -> list[Row]:
    rows = []
    for number, (text, conspiracy, anti_foreign) in enumerate(PARAGRAPHS):
        rows.append(
            Row(
                source=NAME,
                lang="en",
                doc_id=f"sample-{number}",
                index=0,
                start=-1,
                end=-1,
                text=text,
                origin="sample",
                labels=dict(zip(LABELS, (float(conspiracy), float(anti_foreign)))),
                reported=dict(zip(LABELS, map(float, REPORTED.get(text, (False, False))))),
            )
        )
    return rows


def as_read(frame):
    """The sample's rows of the table marked read, with the stances they were written with."""
    rows = frame["source"] == NAME
    if not rows.any():
        return frame
    frame = frame.copy()
    frame.loc[rows, "gold"] = True
    frame.loc[rows, "weak"] = False
    for label in LABELS:
        voiced, reported = frame.loc[rows, label] == 1, frame.loc[rows, label + "_reported"] == 1
        frame.loc[rows, f"{label}_stance"] = [
            "voiced" if v else "reported" if r else "none" for v, r in zip(voiced, reported)
        ]
    return frame
