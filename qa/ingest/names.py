"""Names as news text writes them: the titles, honorifics and suffixes around a person's name, and the
capitalised words that are never names.

Apart from qa.ingest.attribution (which finds who said what) so the vocabulary of names stays in one place;
both modules' source makes up `attribution.rules_version()`, so a change here re-derives the speakers
of existing indexes too.
"""

from __future__ import annotations

import re

# Cues after which the source may follow ("..., said Bruce Klingner"): speech verbs only. Here because a name
# run may open with one ("Continued Stone:"), which is no part of the name.
INVERTIBLE = frozenset("""said says added adds wrote writes asked asks noted notes continued explained recalled
argued warned replied stated insisted declared countered cautioned remarked quipped echoed explains insists argues
warns replies recalls""".split())
HONORIFICS = {"mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt", "rev",
              "president", "senator", "governor", "secretary", "minister", "judge", "justice", "sir", "lord",
              "mayor", "chairman", "chief", "ambassador", "representative", "speaker", "king", "queen",
              "prime", "vice", "former", "premier", "pope", "cardinal", "bishop", "director", "professor"}
# Words of a title written before a name ("Home Secretary Charles Clarke", "Lib Dem leader Charles Kennedy",
# "Chief executive John Smith"): the name is what follows the last of them; the title is a descriptor.
TITLE_WORDS = HONORIFICS | set("""chancellor leader spokesman spokeswoman spokesperson chairwoman executive
chair head deputy shadow commissioner attorney general envoy mp mep lady baroness dame dj presenter boss coach
manager captain skipper""".split())
# After a name: "Guy Mansfield QC", "John Smith MP", "Martin Luther King Jr".
NAME_SUFFIXES = {"qc", "mp", "mep", "msp", "am", "jr", "sr", "kc", "obe", "mbe", "cbe"}
SURNAME_MONTHS = {"may", "june", "april", "august"}
# Capitalised words before a surname that are no first names ("Labour Blair", "Tory Howard", "Lib Dem").
NOT_FIRST_NAMES = set("""labour tory tories conservative conservatives liberal lib dem dems democrat democrats
republican republicans gop british english scottish welsh irish american european french german uk us eu new
north south east west former shadow home foreign downing general deputy acting interim chief""".split())
# Capitalised words that start sentences or name times, never people.
NOT_NAMES = set("""a an the and but or so yet if when while as at in on of for to from by with after before
since until this that these those there here it its he she they we i you his her their our my your who what
which where why how also however meanwhile still then now later earlier today yesterday tomorrow monday tuesday
wednesday thursday friday saturday sunday january february march april may june july august september october
november december feb mar apr jun jul aug sep sept oct nov dec no yes not all some many most both each
one two three four five several other another such even just only instead indeed last next first this year
asked speaking writing according reporting in separately additionally nonetheless nevertheless similarly
likewise finally overall ultimately moreover furthermore afterward afterwards elsewhere recently currently
initially previously separately privately publicly although though despite unlike because whereas
rival""".split())
ORG_WORDS = set("""news times post journal press herald tribune gazette reuters bloomberg cnn nbc abc cbs fox msnbc
npr bbc department ministry agency foundation institute center centre university college party committee
council association house office administration government campaign inc corp company group bank court
commission service bureau network magazine review daily guardian telegraph club union league board""".split())
_NAME_TOKEN = r"(?:[A-Z][a-z]?\.|(?<=[a-z] )(?![AI]\b)[A-Z](?=\s+[A-Z][a-z])|[A-Z][\w'’\-]*[\w])"
_PARTICLE = r"(?:de|da|del|della|der|van|von|bin|al|le|la|du|di|dos|ter|y)"
NAME_RUN_RE = re.compile(rf"{_NAME_TOKEN}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_TOKEN}){{0,4}}(?:,?\s+(?:Jr|Sr)\.?)?")
_WORD_RE = re.compile(r"[\w'’.\-]+")


def words_of(text: str) -> list[str]:
    """The words of a phrase, lowercased, without the periods and apostrophes around them, to look up in the
    word lists."""
    return [w.strip(".’'").lower() for w in _WORD_RE.findall(text)]


def clean_name(name: str) -> str:
    """Drop leading function words, honorifics and titles, and trailing suffixes: "But Mr. Pardo" -> "Pardo",
    "Home Secretary Charles Clarke" -> "Charles Clarke", "Guy Mansfield QC" -> "Guy Mansfield"."""
    return split_title(name)[1]


def split_title(name: str) -> tuple[str, str]:
    """(the title written before the name, the name): ("Home Secretary", "Charles Clarke")."""
    tokens = name.replace(",", " ").split()
    title: list[str] = []
    honorific = False
    while tokens and (tokens[0].lower().strip(".") in NOT_NAMES or tokens[0].lower().strip(".") in HONORIFICS
                      or tokens[0].lower() in INVERTIBLE):  # "Continued Stone:" -> "Stone"
        if honorific and tokens[0].lower().strip(".") in NOT_NAMES:
            break  # after "Mrs", "May" is a name, not the month
        if len(tokens) == 1 and title and title[-1].lower().strip(".") in {"mr", "mrs", "ms", "miss", "dr"}:
            break  # after "Ms", a last word that is also a title is the surname: "Ms King", "Mr Bishop"
        honorific = tokens[0].lower().strip(".") in HONORIFICS
        if honorific:
            title.append(tokens[0])
        tokens = tokens[1:]
    # A title inside the run: "Foreign Secretary Jack Straw", "Deputy Prime Minister John Prescott".
    last_title = max((i for i, t in enumerate(tokens[:-1]) if t.lower().strip(".") in TITLE_WORDS), default=-1)
    if last_title >= 0 and not is_org(" ".join(tokens)):
        title += tokens[: last_title + 1]
        tokens = tokens[last_title + 1 :]
    while len(tokens) > 1 and tokens[-1].lower().strip(".") in NAME_SUFFIXES:
        tokens = tokens[:-1]
    # A trailing weekday or month is a time ("Blair Monday"), but a month that is also a surname after a first
    # name is the name ("Theresa May").
    while tokens and tokens[-1].lower().strip(".") in NOT_NAMES and not (
            tokens[-1].lower() in SURNAME_MONTHS
            and (honorific and len(tokens) == 1 or len(tokens) > 1 and tokens[-2].lower() not in NOT_NAMES)):
        tokens = tokens[:-1]
    name = " ".join(tokens).strip(" ,")
    name = re.sub(r"['’]s$", "", name)
    if name.isupper() and len(name) > 3:  # transcripts: "PENCE:" -> "Pence"
        name = " ".join(t.capitalize() for t in name.split())
    return " ".join(title), name


PLAIN_HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "sir", "lord", "lady", "dame", "mr.", "mrs.", "ms.", "dr."}


def descriptor_of(*parts: str) -> str:
    """A named source's descriptor from the title written with the name ("Home Secretary"), never a bare
    honorific ("Mr")."""
    text = " ".join(p for p in parts if p).strip(" ,")
    return "" if set(words_of(text)) <= PLAIN_HONORIFICS else text


def is_org(name: str) -> bool:
    return any(w in ORG_WORDS for w in words_of(name))
