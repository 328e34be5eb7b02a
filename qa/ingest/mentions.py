"""Names in running text as a reader meets them: each name as written, in order ("Nike", "Rugby World Cup
Sevens", "Mark Vaile"), and what it names (a person, a firm or team, a place), for the chat's pronouns.

Apart from qa.ingest.names, whose vocabulary it reads: that module is part of the attribution rules'
digest, and nothing here changes who is credited with what.
"""

from __future__ import annotations

import re

from .names import (HONORIFICS, NOT_FIRST_NAMES, NOT_NAMES, ORG_WORDS, PLAIN_HONORIFICS, TITLE_WORDS, split_title,
                    words_of)

# A name as written: capitalised words in a row, an inner "of", "the", "de" kept ("Bank of England",
# "Meet the Fockers"); apostrophes, hyphens, dots and digits inside words ("O'Neill", "Wal-Mart", "Opera 8.0").
NAME_PHRASE_RE = re.compile(r"(?<![\w'’-])[A-Z][\w’'.&-]*(?:\s+(?:(?:of|the|de|du|von|van|&)\s+)?[A-Z0-9][\w’'.&-]*)*")
# Words a name phrase never is on its own: pronouns and sentence openers, days and months, bare honorifics.
_NOT_NAME_PHRASES = NOT_NAMES | HONORIFICS | PLAIN_HONORIFICS | {"i", "miss", "sir", "lady", "dame"}
# Words a question opens with that are capitalised for being first, never a name's first word
_QUESTION_OPENERS = set("""whose whom did does do is are was were has have had will would can could should may might
must shall""".split())
# People's adjectives written before a name ("Swiss Xstrata", "Australian dollars"): no part of it.
DEMONYMS = set("""british english scottish welsh irish american european french german swiss australian japanese
chinese indian russian italian spanish dutch canadian brazilian african asian israeli iraqi iranian""".split())
# Words a name of a person may follow ("striker James Beattie", "actress Sandra Bullock", "Mr Vaile").
PERSON_ROLES = TITLE_WORDS | set("""actor actress singer star rapper drummer guitarist songwriter writer author novelist
poet director producer presenter player striker midfielder defender winger goalkeeper keeper forward prop lock
flanker fly-half scrum-half centre hooker full-back batsman bowler jockey trainer driver rider athlete sprinter
champion analyst economist candidate archbishop mp mep chancellor treasurer wife husband son daughter father
mother brother sister girlfriend boyfriend fiancé fiance agent lawyer spokesman spokeswoman""".split())
# Words a firm, team or body may follow ("rival Xstrata", "mining firm WMC Resources").
ORG_NOUNS = set("""firm company group giant maker makers chain retailer carmaker bank network broadcaster band club
side team label studio operator airline supplier publisher developer watchdog regulator party charity
organisation organization agency rival""".split())
# Places a news archive names often: countries, regions and the cities that stand for governments or markets.
PLACES = set("""uk us usa britain england scotland wales ireland europe asia africa america australia canada
china japan india russia iraq iran israel france germany italy spain netherlands holland belgium denmark sweden
norway finland poland portugal greece turkey switzerland austria brazil argentina mexico chile peru egypt
pakistan afghanistan korea thailand indonesia malaysia singapore vietnam philippines nigeria kenya zimbabwe
ukraine cyprus iceland london paris berlin brussels washington moscow beijing tokyo dublin edinburgh cardiff
belfast glasgow manchester birmingham liverpool leeds rome madrid york geneva hollywood lanarkshire""".split())
PLACE_WORDS = {"street", "kingdom", "states", "island", "islands", "county", "square", "road", "avenue", "river",
               "ocean", "sea", "bay", "valley", "coast", "republic", "province", "region"}
# Last words of names of bodies, not people ("Kraft Foods", "Meteor Awards", "Sun Grid").
ORG_LAST_WORDS = ORG_WORDS | set("""corp corporation inc ltd plc airways airlines motors telecom securities foods
resources holdings partners capital international systems communications electric energy oil records pictures
studios entertainment games awards prize festival fund exchange federation city united rovers county athletic
wanderers software technologies media labs""".split())


def name_phrases(text: str, skip_first_word: bool = True, evidence: str = "") -> list[str]:
    """The names a text writes, as written and in order, each once ("Nike", "Lord Callaghan", "Rugby World
    Cup Sevens"), without a possessive "'s", and without days, months, pronouns or honorifics alone.
    A question's first word is capitalised for being first ("Which", "Who"), so it is skipped unless asked;
    otherwise a sentence's capitalised first word alone is a name when written like one ("WMC", "Juninho's",
    "Beattie, 27,") or capitalised inside a sentence of the text or of `evidence` ("Bookmakers have" is not)."""
    inside = set(re.findall(r"(?<=[\w,;] )[A-Z][\w'’-]+", f"{text}\n{evidence}"))
    names: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        words = sentence.strip().split(maxsplit=1)
        rest = (words[1] if len(words) > 1 else "") if skip_first_word else sentence
        if skip_first_word and words and words[0][:1].isupper() and words[0].lower().strip(".,:;\"“") not in \
                _NOT_NAME_PHRASES | _QUESTION_OPENERS and len(words) > 1 and words[1][:1].isupper():
            rest = sentence.strip()  # "Duncan Bell has been added ...": the first word is part of a name
        for match in NAME_PHRASE_RE.finditer(rest):
            tokens = match.group(0).split()
            while tokens and tokens[0].lower().strip(".") in _NOT_NAME_PHRASES - HONORIFICS - PLAIN_HONORIFICS:
                tokens = tokens[1:]  # "The Guardian" -> "Guardian"; "But Mr Blair" -> "Mr Blair"
            while len(tokens) > 1 and tokens[0].lower() in DEMONYMS:
                tokens = tokens[1:]  # "Swiss Xstrata" -> "Xstrata"
            name = re.sub(r"(?:'s|’s|'|’)$", "", " ".join(tokens)).rstrip(".&").strip()
            while len(tokens) > 2 and tokens[0].lower() in PERSON_ROLES - HONORIFICS:
                tokens = tokens[1:]  # "Actress Sandra Bullock" -> "Sandra Bullock"
                name = " ".join(tokens)
            if len(tokens) > 1 and any(t.lower().strip(".") in TITLE_WORDS for t in tokens[:-1]) and \
                    tokens[-1].lower() not in ORG_LAST_WORDS | PLACE_WORDS:  # "Premier League" stays
                name = split_title(name)[1] or name  # "Trade Minister Mark Vaile" -> "Mark Vaile"
            if not skip_first_word and len(tokens) == 1 and match.start() == 0 and match.end() < len(
                    rest.rstrip(" ?.!")) and tokens[0] not in inside and not _named_elsewhere(
                    match.group(0), rest, match.end()):
                continue  # "Bookmakers have offered ...": capitalised for opening the sentence
            if name.lower() in DEMONYMS:
                continue
            if name and name.lower().strip(".") not in _NOT_NAME_PHRASES and name not in names:
                names.append(name)
    return names


def _named_elsewhere(word: str, sentence: str, end: int) -> bool:
    """A sentence's capitalised first word is a name when written as one: in capitals ("WMC"), with a
    possessive or a comma after it ("Juninho's agent", "Beattie, 27,")."""
    return word.isupper() or word.endswith(("'s", "’s")) or bool(re.match(r"\s*,", sentence[end:])) or bool(
        re.match(r"[A-Z][a-z]+[A-Z]", word))


def name_kind(name: str, context: str = "", guess: bool = True) -> str:
    """What a name names, by its words and by the words before it in `context` (the text it came from):
    "person" ("Lord Callaghan", "striker James Beattie", "Peter Lynch"), "org" (a firm, team, band or body:
    "Kraft Foods", "UKIP", "mining firm WMC"), "place" ("Germany", "Downing Street"), or "" when the name
    alone cannot tell ("Nike", "Opera 8.0", "Beattie"). `guess=False`: never "person" for two capitalised
    words alone ("Jailhouse Rock" is no one), only on a title, a role, an age or "who" after it."""
    words = words_of(name)
    if not words:
        return ""
    if split_title(name)[0] and words[-1] not in ORG_LAST_WORDS | PLACE_WORDS:
        return "person"  # "Lord Callaghan", "Trade Minister Mark Vaile"
    before = re.findall(r"[\w'’-]+", context[: max(context.find(name), 0)])[-1:] if name in context else []
    after = context[context.find(name) + len(name):][:16] if name in context else ""
    last_before = before[0].lower() if before else ""
    if (words[0] in HONORIFICS | PLAIN_HONORIFICS and words[-1] not in ORG_LAST_WORDS | PLACE_WORDS
            or last_before in PERSON_ROLES):
        return "person"
    if last_before in ORG_NOUNS or words[-1] in ORG_LAST_WORDS or (name.isupper() and " ".join(words) not in PLACES):
        return "org"
    if " ".join(words) in PLACES or words[-1] in PLACE_WORDS:
        return "place"
    if re.match(r"\s*(?:,\s*\d{1,2}\b|,\s*who\b|\s+who\b)", after):  # "John Houston, 54,", "Keys, who"
        return "person"
    if re.match(r"\s*(?:,\s*which\b|(?:were|are|have)\b)", after):  # "Snow Patrol were", "Xstrata, which"
        return "org"
    if guess and (len(words) in (2, 3) and all(w[:1].isalpha() for w in words) and words[0] not in NOT_FIRST_NAMES
            and not set(words) & (ORG_WORDS | PLACES) and name == " ".join(w[:1].upper() + w[1:] for w in name.split())
            and not any(w in ("of", "the", "de", "&") for w in words)):
        return "person"  # two or three capitalised words: "Sandra Bullock", "Jose Mourinho" (a guess)
    return ""
