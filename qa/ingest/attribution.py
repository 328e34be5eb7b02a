"""Who said what: the sources each paragraph attributes statements to, with cue and statement span.

"he said", "Klingner said" and "the former official said" are carried to the named speaker met earlier
in the article, so every paragraph of a speaker's statements carries that speaker's full name.

Rules, not spaCy: no official spaCy English model installs from PyPI, and news attribution has a small
set of surface shapes ("..., said X, a <descriptor>", "X said ...", "according to X", "X called ...")
that a matcher handles in well under a millisecond a paragraph. On PolNeAR dev (bench/speakers.py, rules
tuned on train): precision 0.93, recall 0.49 of the human attributions; spaCy's small pipeline (an
unofficial re-upload, measured against earlier rules) gave 0.87 / 0.51 at ~100x the time and no better
retrieval. Details in bench/README.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path

from .documents import Article, split_sentences
from .names import (HONORIFICS, INVERTIBLE, NAME_RUN_RE, NOT_FIRST_NAMES, NOT_NAMES, ORG_WORDS, PLAIN_HONORIFICS,
                    TITLE_WORDS, clean_name, descriptor_of, is_org, split_title, words_of)

# The modules whose source is the attribution rules, digested by `rules_version()`.
RULE_MODULES = ("attribution.py", "names.py")

# --- vocabulary -------------------------------------------------------------------------------

# Verbs that attribute speech or a stated view to their subject.
_CUE_WORDS = """
said says say saying told tells telling added adds adding noted notes noting wrote writes writing warned warns
warning argued argues arguing explained explains stated states claimed claims claiming insisted insists asked
asks acknowledged acknowledges announced announces replied replies recalled recalls suggested suggests
predicted predicts declared declares continued continues countered counters conceded concedes admitted admits
denied denies urged urges tweeted tweets posted testified vowed vows pledged pledges promised promises
complained complains charged contended contends maintained maintains emphasized emphasised emphasizes stressed
stresses observed observes reported reports confirmed confirms believes believed thinks thought cautioned
cautions remarked responded responds agreed agrees disagreed wondered mused quipped boasted boasts echoed echoes
""".split()
# Verbs of stance: news attribution credits a view to "Bush called Trump unhinged", "a Fox News poll shows ...".
_STANCE_CUES = """
called calls calling criticized criticised criticizes accused accuses praised praises endorsed endorses
defended defends blamed blames cited cites proposed proposes described describes rejected rejects dismissed
dismisses attacked attacks slammed slams blasted blasts mocked mocks demanded demands questioned questions
concluded concludes expressed expresses revealed reveals found finds show shows showed indicated indicates
""".split()
# Cue heads from PolNeAR train's annotations (bench/cue_lexicon.py) not listed above whose attributions by
# these rules were right at least 85% of the time on train (at least 5 of them); left out of that selection:
# the non-verbs "further", "views", "supporter", and "expect" (a forecast, "analysts expect prices to rise").
_LEARNED_CUES = """
argue asking asserted assured avoided believe bemoaned claim declined decried denounced discussed emailed estimates
fear hoped hoping insist invoked joked knew learned ordered planned pointed quoted referring reiterated repeated
seeks sees shown suggest supporting talked touted voiced weighed worried
""".split()
# "declined to comment" attributes; "turnout declined sharply" does not. "denied Elvis his fourth number one"
# (kept someone from something) is no denial of a claim.
_CUE_CONTEXT = {"declined": r"declined(?=\s+to\b)"}
_NOT_SPEECH = dict.fromkeys(("denied", "denies"),
                           r"(?!\s+(?:him|them|us|me|(?:[A-Z][\w'’-]*\s+){1,3}(?:his|her|their|its|a|an))\s)")
_CUE_RE = re.compile(
    r"\b(?:has |have |had |also |later |then |previously |once |repeatedly )?(?P<cue>%s)\b"
    % "|".join([w + _NOT_SPEECH.get(w, "") for w in _CUE_WORDS + _STANCE_CUES]
               + [_CUE_CONTEXT.get(w, w) for w in _LEARNED_CUES])
    + r"|\b(?P<acc>[Aa]ccording to)\b"
)


def speech_verb(verb: str, rest: str = "") -> bool:
    """Whether `verb` (lowercase, as written) attributes speech or a stated view to its subject ("said",
    "criticised", "insists"), given the words after it (`rest`): "denied Elvis his fourth number one" does not."""
    m = _CUE_RE.match(f"{verb}{rest}")
    return bool(m and m.group("cue") and m.end("cue") == len(verb))


# An inverted cue opening a sentence that introduces the quote: "Stated Stone:", "Added Klingner:".
_INITIAL_CUE_RE = re.compile(r"^(?P<cue>%s)\s+(?=[A-Z])" % "|".join(w.capitalize() for w in INVERTIBLE))

# Labels that open a paragraph like a transcript's speaker ("SYSTEM: ...", "UPDATE: ...") but name nobody.
_LABELS = set("""system user assistant note update editor editors correction clarification source sources photo
image video watch read related advertisement warning breaking exclusive analysis opinion comment q a question
answer transcript caption credit disclaimer summary background context instructions instruction prompt
important""".split())
_PRONOUNS = {"he": "person", "she": "person", "they": "group", "it": "thing"}
_DETERMINERS = {"a", "an", "the", "one", "two", "three", "four", "several", "some", "many", "other", "another",
                "its", "his", "her", "their", "both", "most", "few", "u.s.", "senior", "top", "local"}
# Head nouns that make a descriptor a plausible source ("a former official", "one diplomatic source").
_PERSON_ROLES = set("""official source spokesman spokeswoman spokesperson analyst expert diplomat aide adviser
advisor observer watcher critic lawmaker senator minister president leader researcher economist professor
scientist lawyer attorney investigator prosecutor officer executive director chairman chairwoman chair chief
representative strategist pollster commentator columnist reporter editor member candidate nominee governor
mayor secretary ambassador envoy negotiator manager founder resident witness supporter opponent democrat
republican voter organizer activist doctor judge justice narrator host anchor author writer person man woman
insider operative veteran student teacher father mother son daughter wife husband friend colleague partner
economist ceo head coach player fan owner boss presenter dj broadcaster journalist actor actress singer star
musician rapper comedian producer designer novelist artist frontman guitarist drummer vocalist striker midfielder
defender winger captain goalkeeper keeper skipper trainer referee athlete champion boxer golfer chef banker trader
broker investor consultant campaigner entrepreneur inventor engineer developer specialist historian surgeon pilot
commander co-chairman co-ordinator coordinator forward fly-half scrum-half ex-minister peer
frontbencher backbencher sprinter publicist ombudsman accountant solicitor nephew niece psychologist
physiotherapist delegate agent supremo pundit vice-chairman vice-president vice-director ex-aide
full-back physio team-mate biographer frontman frontwoman co-founder co-author lecturer curator
reviewer blogger statistician""".split())
_GROUP_ROLES = set("""officials sources analysts experts diplomats aides advisers advisors observers watchers
critics lawmakers leaders researchers economists scientists lawyers attorneys investigators prosecutors officers
executives representatives strategists pollsters commentators reporters members candidates residents witnesses
supporters opponents democrats republicans voters organizers activists doctors people authorities police
government administration ministry department agency campaign committee regime court military army white
statement report poll survey study polls data documents records letter memo paper newspaper website network
company firm group spokesmen people""".split())

# "In Vermont, about half of voters said": a place, not a speaker with an appositive.
_PLACE_PREPOSITIONS = {"in", "on", "at", "from", "for", "with", "by", "after", "before", "during", "since", "under",
                       "over", "across", "near", "outside", "inside", "throughout"}
# Words that may stand before a source's name in its clause: "But Pardo said", "and then Kim added".
_LEADS = {"but", "and", "so", "then", "yet", "also", "the", "now", "meanwhile", "later", "still", "earlier",
          "instead", "however", "too", "in", "a", "statement", "interview"}
_QUOTE_PAIRS = [("“", "”"), ('"', '"'), ("‘‘", "’’"), ("''", "''")]
# A source that put its words in a document: "Mitch McConnell (R-Ky.) issued a statement [saying]".
_DOCUMENT_SOURCE_RE = re.compile(
    rf"^(?:(?:[Bb]ut|[Aa]nd|[Ll]ater|[Tt]hen|[Mm]eanwhile|[Ee]arlier)\s+)?(?P<name>{NAME_RUN_RE.pattern})"
    r"(?:\s*\([^)]{1,40}\))?\s+(?:has\s+|have\s+|had\s+|also\s+|later\s+|quickly\s+)?"
    r"(?:issued|released|put out|sent|posted|published|signed)\s+(?:a|an|the|his|her|its|their)\s+"
    r"(?:[\w-]+\s+){0,2}(?:statement|letter|memo|report|tweet|message|email|e-mail|op-ed|video)s?"
    r"(?:\s+(?:on|to|after|late|early|this|last|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
    r"morning|afternoon|evening|night|week))*$")
# What may follow a source named after its cue: the sentence's end, a comma, or a descriptor.
_ENDS_SOURCE = re.compile(r"\s*(?:$|[,.;:!?”\")(]|(?:of|from|at|with|who|in|on)\b)")


@dataclass(frozen=True)
class Statement:
    """One attributed statement: who, where (index into `article.paragraphs`), the cue and the words."""

    position: int  # index of the paragraph in article.paragraphs
    speaker: str  # the speaker's canonical name
    cue: str  # "said", "according to", "quote" (a paragraph continuing a speaker's quote), ...
    start: int  # statement span in the paragraph's text
    end: int
    # "name", "short name", "titled name" (after a title: "IMF chief economist Maury Obstfeld said"),
    # "descriptor", "pronoun" or "continuation"
    reference: str

    def text(self, paragraph_text: str) -> str:
        return paragraph_text[self.start : self.end]


@dataclass(frozen=True)
class Speaker:
    """A source quoted in an article: its canonical name, the other names it goes by, and where."""

    name: str
    aliases: tuple[str, ...] = ()  # full name, surname, other surface forms
    descriptors: tuple[str, ...] = ()  # "a former CIA analyst now with the Heritage Foundation"
    kind: str = "person"  # person, group, organisation, anonymous
    positions: tuple[int, ...] = ()  # indices into article.paragraphs, in article order


@dataclass(frozen=True)
class Attribution:
    speakers: tuple[Speaker, ...]
    statements: tuple[Statement, ...]

    def per_paragraph(self, count: int) -> list[list[str]]:
        """Speaker names for each paragraph position (what `StoreWriter.add_article` stores)."""
        out: list[list[str]] = [[] for _ in range(count)]
        for s in self.statements:
            if s.speaker not in out[s.position]:
                out[s.position].append(s.speaker)
        return out


# --- helpers ----------------------------------------------------------------------------------


def mask_quotes(text: str) -> str:
    """Blank out quoted words (same length) so cues inside a quote are not read as attributions."""
    chars = list(text)
    for pattern in (r"“[^”]*”", r'"[^"]*"', r"‘‘[^’]*’’", r"''.*?''"):
        for m in re.finditer(pattern, text):
            for i in range(m.start() + 1, m.end() - 1):
                chars[i] = "_" if not chars[i].isspace() else " "
    # An opening quote never closed in this sentence: blank to the end.
    masked = "".join(chars)
    last_open = masked.rfind("“")
    if last_open > masked.rfind("”"):
        masked = masked[: last_open + 1] + re.sub(r"\S", "_", masked[last_open + 1 :])
    # The same for straight quotes: an odd count whose last one opens a quote ('"President Obama said ...').
    last_open = masked.rfind('"')
    opens = (last_open == 0 or text[last_open - 1 : last_open] in (" ", "(", "[")) and text[last_open + 1 :][:1].strip()
    if text.count('"') % 2 and opens:
        masked = masked[: last_open + 1] + re.sub(r"\S", "_", masked[last_open + 1 :])
    return masked



@dataclass
class _Source:
    kind: str  # name, pronoun, descriptor
    text: str  # name, pronoun or descriptor phrase
    descriptor: str = ""  # an appositive that describes a named source
    titled: bool = False  # found only through a title written before the name ("Clinton spokesman Nick Merrill")


def _descriptor_source(phrase: str) -> _Source | None:
    """"a former official in the first Trump administration" -> descriptor source, when it has a role noun."""
    phrase = re.sub(r"^(?:but|and|so|yet|while|as|because)\s+", "", phrase.strip(" ,;:—–-"), flags=re.I)
    words = words_of(phrase)
    if not words or len(words) > 14 or "_" in phrase:
        return None
    if words[0] not in _DETERMINERS and words[0] not in _GROUP_ROLES and not phrase[:1].isupper():
        return None
    # The head is the last word before a preposition / relative clause.
    head_zone = []
    for w in words:
        if w in ("in", "at", "of", "from", "with", "for", "on", "who", "which", "that", "now", "close", "familiar"):
            break
        head_zone.append(w)
    head = head_zone[-1] if head_zone else ""
    if head in _PERSON_ROLES or head in _GROUP_ROLES or (head.endswith("s") and head[:-1] in _PERSON_ROLES):
        return _Source("descriptor", phrase)
    return None


# Words that open a subordinate clause, whose subject may be a source: "after Snow said", "as Blair told". The
# lead is cut after the last one: capitalised only where it ends the lead ("As Prime Minister Tony Blair said").
_SUBORDINATORS = "after when before because while since although though until once as if whereas".split()
_SUBORDINATOR_RE = re.compile(r"^.*\b(?:(?:%s)$|(?:%s)\s)" % ("|".join(f"[{w[0].upper()}{w[0]}]{w[1:]}" for w in _SUBORDINATORS),
                                                          "|".join(_SUBORDINATORS)), re.S)


_ROLE_AND_NAME_RE = re.compile(rf"\s+(?:{'|'.join(sorted(_PERSON_ROLES))})\s+[A-Z][a-z]")
_ROLE_APPOSITIVE_RE = re.compile(
    rf"(?:^|[.”\"'_]\s+|,\s+)(?:[\w'’-]+\s+){{0,3}}?(?:{'|'.join(sorted(_PERSON_ROLES))})\s+"
    rf"({NAME_RUN_RE.pattern}),\s+([^,]{{3,120}}),?$")


# A post written in capitals after a name, of an organisation: "David Higdon, Vice President of the ATP, admitted".
_CAPITALISED_POST_RE = re.compile(r"(?:[A-Z][a-z]+\s+){0,2}[A-Z][a-z]+\s+(?:of|at|for)\s+\S")


# Any word naming a person's post or title, as a pattern.
_POST_WORD = "|".join(sorted(_PERSON_ROLES | TITLE_WORDS))
# A post in lower case before a name: "Keane frontman", "Tory leader".
_POST_LEAD = rf"(?:(?:[A-Z][\w'’&.-]*\s+){{0,3}}(?:[a-z][\w-]*\s+){{0,2}}(?:{_POST_WORD})\s+)?"


# A sentence's subject, its own verb, then "and" before the cue: the subject speaks ("He hinted at ..., and said:").
_COORDINATED_SUBJECT_RE = re.compile(rf"^(?:(?P<pronoun>He|She|They)|{_POST_LEAD}(?P<name>{NAME_RUN_RE.pattern}))\s+"
                                     r"(?:has\s+|had\s+|also\s+)?(?P<verb>[a-z]+)\b[^“”\"]*?,?\s+(?:and|but)(?:\s+(?:also|then|later))?$")


def _ends_in_role(phrase: str) -> bool:
    """The phrase is a post: it ends with a role ("PPI research director", "BBC Delhi reporter")."""
    return (words_of(phrase) or [""])[-1] in _PERSON_ROLES


_POST_HEAD_RE = re.compile(rf"^(?:[A-Za-z][\w'’&.-]*\s+){{0,4}}?(?:{'|'.join(sorted(_PERSON_ROLES))})\b", re.IGNORECASE)


def _holds_role(phrase: str) -> bool:
    """The phrase is a post: it ends in a role, or holds one within its first words, then what it is of or
    where, and no name after it ("UK economist for Capital Economics", "EA's vice president of sales"; not
    "Microsoft chairman Bill Gates", nor a clause: "32% said Mr Blair was a good prime minister")."""
    return _ends_in_role(phrase) or (bool(_POST_HEAD_RE.match(phrase)) and not _ROLE_AND_NAME_RE.search(f" {phrase}"))


_SUBORDINATE_APPOSITIVE_RE = re.compile(
    rf"\b(?:after|when|while|before|since|because|although|though|that|time)\s+({NAME_RUN_RE.pattern}),\s+([^,]{{3,120}}),?$")
_DETERMINED_RE = re.compile(r"(?:the|a|an|his|her|its|their)\s")


_JOINED_CLAUSE_RE = re.compile(r"\s(?:and|but)\s+(?=(?:[\w'’-]+\s+){0,3}[\w'’-]+$)")
_OWN_CLAUSE_WORDS = 4  # words before "and" that make a clause of their own, not a list of names or posts


def _source_before(before: str) -> _Source | None:
    """The source written just before the cue: "..., Klingner said", "Duyeon Kim, from ..., said"."""
    stripped = before.rstrip().rstrip(",").rstrip()
    # an age after the name is no descriptor: "Mr Davies, 60, said" is "Mr Davies said"
    stripped = re.sub(r"(?<=[\w.])(?<!\d),\s+\d{1,3}$", "", stripped)
    # nor is an adverb: "Mr Hockney meanwhile told the BBC"
    stripped = re.sub(r"(?<=[A-Za-z])(\s+[A-Z][\w'’-]*)\s+(?:meanwhile|later|earlier|previously|yesterday|today|"
                      r"separately|again|recently|subsequently)$", r"\1", stripped)
    if not stripped:
        return None
    # "he said", "she added"
    m = re.search(r"(?:^|[\s,“”\"])(he|she|they|He|She|They)$", stripped)
    if m:
        return _Source("pronoun", m.group(1).lower())
    # the subject of a verb before "and": "He hinted at discontent with the music industry, and said:"
    coordinated = _COORDINATED_SUBJECT_RE.match(stripped)
    if coordinated and coordinated.group("verb") not in _PERSON_ROLES | TITLE_WORDS:  # not "Holyrood leader, ..."
        if coordinated.group("pronoun"):
            return _Source("pronoun", coordinated.group("pronoun").lower())
        name = clean_name(coordinated.group("name"))
        if name and len(words_of(name)) >= 2 and not is_org(name) and words_of(name)[0] not in NOT_NAMES:
            return _Source("name", name)
    # Between dashes: "Gerry Conlon - who was wrongly convicted of planting the bombs - said"
    m = re.search(rf"(?:^|[.”\"]\s+|,\s+)({NAME_RUN_RE.pattern})\s+[-–—]\s+([^-–—“”\"_]{{3,150}}?)\s*[-–—]$", stripped)
    if m and words_of(m.group(1)) and words_of(m.group(1))[0] not in NOT_NAMES | _PLACE_PREPOSITIONS:
        title, name = split_title(m.group(1))
        if name:
            return _Source("name", name, m.group(2).strip())
    # a spaced dash parts a clause ("... - they have lost eight of their last 13 matches - Ireland coach Eddie
    # O'Sullivan says"), unless it closes a parenthesis before the cue ("Florian Hamm - Dortmund's largest investor -")
    dashes = () if re.search(r"\s[-–]$", stripped) else (" - ", " – ")
    clause_start = max((stripped.rfind(mark) + len(mark) for mark in (",", "”", '"', ";", "—", *dashes, ":", "''", "’’")
                        if mark in stripped), default=0)
    clause = stripped[clause_start:].strip()
    # Appositive: "Duyeon Kim, from the Center for a New American Security, said"; an age before it is no
    # part of it ("Dr Greenspan, 79, who has been in the UK ..., said"), nor is a role before the name ("Talk
    # show host Jerry Springer, whose programme ..., has said")
    aged = re.sub(r"(?<=[a-z]),\s+\d{1,3},(?=\s+[a-z])", ",", stripped)
    m = re.search(rf"(?:^|[.”\"'_]\s+|,\s+)(?:\d+-year-old\s+)?({NAME_RUN_RE.pattern}),\s+([^,]{{3,120}}),?$", aged) \
        or _ROLE_APPOSITIVE_RE.search(aged)
    # a subordinate clause opening with a person's name and post: "... the day after Sir Ian Blair, the
    # newly-appointed Metropolitan Police commissioner, said"
    if not m and (sub := _SUBORDINATE_APPOSITIVE_RE.search(aged)) and len(words_of(sub.group(1))) >= 2 \
            and (_holds_role(sub.group(2)) or _DETERMINED_RE.match(sub.group(2))):
        m = sub
    # a post: "head of ...", "Vice President of the ATP", "PPI research director"
    post = m and clause and (clause[0].islower() or _CAPITALISED_POST_RE.match(clause) or _holds_role(clause))
    if not post:
        # a post, then a relative clause: "Dan Gillmor, founder of Grassroots Media, which supports citizen-based
        # media, said" (not "Others, however, who had stayed out ..., continued", nor "The Lord Chief Justice,
        # Lord Woolf, who is ..., said")
        m = re.search(rf"(?:^|[.”\"'_]\s+|,\s+)({NAME_RUN_RE.pattern}),\s+([^,]{{3,120}}),\s+(?:which|who|whose)\s+"
                      rf"[^,]{{3,120}},?$", aged)
        appositive = m.group(2).strip() if m else ""
        post = m and ((appositive[:1].islower() and len(words_of(appositive)) > 1)
                      or _CAPITALISED_POST_RE.match(appositive) or _holds_role(appositive))
    if m and post and words_of(m.group(1))[0] not in _PLACE_PREPOSITIONS:
        name = clean_name(m.group(1))
        if name and words_of(name)[0] not in NOT_NAMES:
            return _Source("name", name, m.group(2).strip())
    # An organisation after the name: "Colin Asplin, Blackpool Hotel Association said:"
    m = re.search(rf"(?:^|[.”\"'_]\s+)({NAME_RUN_RE.pattern}),\s+({NAME_RUN_RE.pattern})$", stripped)
    if m and is_org(m.group(2)) and not is_org(m.group(1)) and len(words_of(clean_name(m.group(1)))) >= 2:
        name = clean_name(m.group(1))
        if words_of(name)[0] not in NOT_NAMES | _PLACE_PREPOSITIONS:
            return _Source("name", name, m.group(2).strip())
    if not clause or "_" in clause:
        return None
    # A person's name and where they are from: "William Corr of the Campaign for Tobacco-Free Kids urged"
    m = re.match(rf"^(?:(?:[Bb]ut|[Aa]nd|[Ss]o|[Yy]et|[Mm]eanwhile|[Ll]ater|[Tt]hen)\s+)?({NAME_RUN_RE.pattern})\s+"
                 rf"((?:of|from|at)\s+(?:the\s+)?[A-Z][^,;:“”\"]{{1,80}})$", clause)
    if m and not is_org(m.group(1)) and len(words_of(name := clean_name(m.group(1)))) >= 2 \
            and words_of(name)[0] not in NOT_NAMES | _PLACE_PREPOSITIONS \
            and words_of(name)[-1] not in TITLE_WORDS | HONORIFICS | _PERSON_ROLES | ORG_WORDS:
        return _Source("name", name, m.group(2).strip())  # not "Missouri Secretary of State Jason Kander"
    # A name run that ends the clause: "Klingner", "Mrs. Clinton", "The New York Times"
    m = re.search(rf"({NAME_RUN_RE.pattern})$", clause)
    if m:
        lead = clause[: m.start()].strip()
        # a subordinate clause opens with the source: "The dollar's slide has halted after US Treasury
        # Secretary John Snow said ..." is Snow's, as "US Treasury Secretary John Snow said" is
        if not before.rstrip().endswith(",") and (opener := _SUBORDINATOR_RE.search(lead)):
            lead = lead[opener.end():].strip()
        # so does a post joined by "and" or "but" after a clause of its own: "Latest indications are that growth
        # is still proving elusive and Ifo president Hans-Werner Sinn said ..."
        if (joined := _JOINED_CLAUSE_RE.search(lead)) and len(words_of(lead[: joined.start()])) >= _OWN_CLAUSE_WORDS \
                and words_of(lead)[-1:] and words_of(lead)[-1] in TITLE_WORDS | _PERSON_ROLES:
            lead = lead[joined.end():].strip()
        title, name = split_title(m.group(1))
        # A title before the name: "Tory leader Michael Howard", "Chief executive John Smith".
        lead_words = [w for w in words_of(lead) if w not in _LEADS and w not in _DETERMINERS]
        # an organisation's name before the title counts as one word: "UK Film Council chief executive"
        org_words = len(re.findall(r"(?<![\w'’])[A-Z][\w&'’-]*", lead)) if lead_words[-1:] and lead[-1:].islower() else 0
        titled = (bool(lead_words) and len(lead_words) - max(0, org_words - 1) <= 4 and len(lead_words) <= 8
                  and lead_words[-1] not in PLAIN_HONORIFICS
                  and lead_words[-1] in TITLE_WORDS | _PERSON_ROLES and not {"and", "or", "&"} & set(lead_words))
        bare = not lead or set(words_of(lead)) <= _LEADS | HONORIFICS or bool(re.fullmatch(r"\d+-year-old", lead))
        if name and set(words_of(name)) <= TITLE_WORDS | _PERSON_ROLES \
                and not set(words_of(title)) & {"mr", "mrs", "ms", "miss", "dr"}:  # "Ms King" is a name
            # "The DJ admitted", "The Chancellor said": a role, no name
            return _Source("descriptor", clause) if set(words_of(lead)) <= _LEADS | _DETERMINERS else None
        if name and (bare or titled):
            lead = re.sub(r"^(?:(?:but|and|so|then|yet|also|now|meanwhile|later|still|earlier|instead|however)\s+)+",
                          "", lead, flags=re.I)
            return _Source("name", name, descriptor_of(lead if titled else "", title), titled=not bare or bool(descriptor_of(title)))
    # "Senate Majority Leader Mitch McConnell (R-Ky.) issued a statement saying ...": the name, not a descriptor
    m = _DOCUMENT_SOURCE_RE.match(clause)
    if m:
        name = clean_name(m.group("name"))
        if name and words_of(name) and words_of(name)[0] not in NOT_NAMES:
            return _Source("name", name)
    if any(m.group("cue") for m in _CUE_RE.finditer(clause)):
        return None  # a clause with its own cue is no descriptor: "watchers say Trump's comments [suggest]"
    return _descriptor_source(clause)


def _source_after(after: str) -> _Source | None:
    """The source written just after an inverted cue: "said Bruce Klingner, a former CIA analyst ..."."""
    text = after.lstrip()
    m = re.match(r"(he|she|they)\s*(?:[,.;:!?]|$)", text)
    if m:
        return _Source("pronoun", m.group(1))
    # a role in lower case before the name, after an organisation's name or not: "said economist Marie-Pierre
    # Ripert at IXIS", "said Arsenal manager Arsene Wenger"
    # ("said RNID technology director, Guido Gybels": a comma may part the role from the name)
    role = re.match(r"((?:[A-Z][\w&'’.-]*\s+){0,3}(?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*),?\s+(?=[A-Z])", text)
    if role and words_of(role.group(1))[-1] in _PERSON_ROLES | TITLE_WORDS:
        named = _source_after(text[role.end() :])
        if named is not None and named.kind == "name":
            return replace(named, descriptor=f"{role.group(1).strip()} {named.descriptor}".strip(), titled=True)
    m = NAME_RUN_RE.match(text)
    if m:
        title, name = split_title(m.group(0))
        rest = text[m.end() :]
        if name and words_of(m.group(0))[0] not in (NOT_NAMES - {"the"}) and _ENDS_SOURCE.match(rest):
            descriptor = ""
            d = re.match(r",\s+((?:a|an|the|who|one|[a-z])[^.;“\"]*?)"
                         r"(?:[,.;]\s*$|[.;]|,\s+(?:who|adding|saying)\b|$)", rest)
            if d:
                descriptor = d.group(1).strip()
            else:
                d = re.match(r"\s+((?:of|from|at|with)\s+[^,.;“\"]+)", rest)
                if d:
                    descriptor = d.group(1).strip()
            return _Source("name", name, descriptor or descriptor_of(title), titled=bool(descriptor_of(title)))
    m = re.match(r"((?:the|a|an|one|two|three|several|some|other|another|senior|[a-z]+ )[^,.;“”\"]{2,100})", text)
    if m and _ENDS_SOURCE.match(text[m.end() :]):
        return _descriptor_source(m.group(1))
    return None


def _statement_span(sentence: str, offset: int, paragraph: str = "") -> tuple[int, int]:
    """The quote in the sentence when it has one, else the whole sentence. A sentence that closes a quote
    opened in an earlier sentence of the paragraph ('"I've had a word with him. It's been said," he told')
    holds the whole quote, from its opening mark."""
    opened = _open_quote_at(paragraph[:offset])
    if opened is not None and sentence.lstrip()[:1] not in "“\"":
        close = re.search(r"[”\"]", sentence)
        if close:
            return opened, offset + close.end()
    m = re.search(r"[“\"]([^”\"]{8,})[”\"]", sentence)
    if m:
        return offset + m.start(), offset + m.end()
    return offset, offset + len(sentence)


def _open_quote_at(text: str) -> int | None:
    """Where the quotation still open at the end of `text` opens, if one is: the last curly opening mark
    after the last closing one, or the last straight mark of an odd count that opens (after a space, before a
    word)."""
    curly_open, curly_close = text.rfind("“"), text.rfind("”")
    if curly_open > curly_close:
        return curly_open
    if text.count('"') % 2:
        at = text.rfind('"')
        if (at == 0 or text[at - 1] in " (\n") and text[at + 1 : at + 2].strip():
            return at
    return None


# --- the attributor ---------------------------------------------------------------------------


@dataclass
class _Mention:
    position: int
    sentence_index: int  # running count across the article
    source: _Source
    cue: str
    span: tuple[int, int]


def _is_name(text: str) -> bool:
    """Whether what is left of a name run once titles and cue words are dropped still names someone: it
    has a letter ("Explained:" and "Said:" leave nothing, "'s" leaves no letter)."""
    return any(c.isalpha() for c in text)


# A sentence whose subject is a person named in narrative: "Quentin Davies, the MP for Grantham, was attacked",
# "Meanwhile, O'Leary has rapped ...". A later "he said" with no quoted person before it is that person's.
_SUBJECT_RE = re.compile(
    rf"^(?:(?:But|And|So|Yet|Meanwhile|However|Now|Later|Earlier|Then|Still|Instead|Also),?\s+)?"
    rf"{_POST_LEAD}"  # "Keane frontman Tom Chaplin thanked fans"
    rf"(?P<name>{NAME_RUN_RE.pattern})(?:\s*,[^,;“”\"]{{1,100}},)?\s+(?P<verb>[a-z]+)\b")


def _narrative_subject(sentence: str) -> str:
    """The person a sentence of narrative has for its subject, by a first and last name or an honorific and a
    surname; "" for anyone else."""
    m = _SUBJECT_RE.match(sentence)
    if not m or m.group("verb") in NOT_NAMES or re.search(r"['’]s?$", m.group("name")):
        return ""
    title, name = split_title(m.group("name"))
    words = words_of(name)
    if (not words or is_org(name) or words[0] in NOT_NAMES | NOT_FIRST_NAMES | ORG_WORDS | TITLE_WORDS
            or not (len(words) >= 2 or set(words_of(title)) & PLAIN_HONORIFICS)):
        return ""
    return name


def _participle_subject(before: str) -> _Source | None:
    """The subject of the sentence a participle cue (", saying", ", adding") goes on from: a pronoun or a
    person's name opening it ("He rejected the claim, saying", "Mr Marchionne is confident ..., saying")."""
    if m := re.match(r"^\W*(?:(?:But|And|Yet|So|Meanwhile|However),?\s+)?(He|She|They)\s+[a-z]", before):
        return _Source("pronoun", m.group(1).lower())
    name = _narrative_subject(before)
    return _Source("name", name) if name and not re.search(r"-[a-z]", name) else None  # not "Cash-strapped US"


# What follows a participle that reports no words: "adding 10 points", "adding to the pressure".
_NO_SPEECH_AFTER_RE = re.compile(r"\s+(?:\d|to\b|a\b|an\b|another\b|more\b|weight\b|fuel\b)")


# A title referring back to the person the article is about: "the minister", "the singer" (not "the prime
# minister", who is someone else, nor "a spokesman").
_TITLE_BACK_RE = re.compile(rf"[Tt]he (?!prime\b|deputy\b|former\b|new\b|then\b)(?:{_POST_WORD})")


# A name's possessive just before a cue word: "Mr Clarke's proposed amendment" (not "He's said", a contraction).
_POSSESSIVE_BEFORE_RE = re.compile(r"(?<![\w'’])(?!(?:He|She|It|That|There|What|Who|Here)['’])[A-Z][\w-]*['’]s\s+$")


def _leading_quote_end(text: str) -> int:
    """Where the run of wholly quoted sentences opening a paragraph ends (0 when it opens otherwise): a quote
    running on from the paragraph before ('"I have no desire to ..." Mr Clarke's amendment will be ...')."""
    end = 0
    cursor = 0
    for sentence in split_sentences(text):
        offset = text.find(sentence, cursor)
        offset = cursor if offset < 0 else offset
        cursor = offset + len(sentence)
        masked = mask_quotes(sentence)
        outside = re.sub(r"[“”\"_\s.,!?;:'’‘]", "", masked)
        if not re.match(r"^\s*[“\"]", sentence) or outside:
            break
        end = offset + len(sentence)
    return end


def _with_following_quotes(article: Article, statements: list[Statement]) -> list[Statement]:
    """A statement runs on through the wholly quoted sentences after it, up to the next statement: "X said
    her client would sue. "I think that's the only avenue open to her." The quote is X's."""
    out = []
    for i, st in enumerate(statements):
        text = article.paragraphs[st.position].text
        later = [s.start for s in statements[i + 1:] if s.position == st.position and s.start >= st.end]
        limit = min(later, default=len(text))
        for _ in range(2):
            following = text[st.end:]
            # past the full stop of a sentence that ends on a partial quote: 'He said the philosopher was a
            # "towering contributor to the modern world". "Kirkcaldy, the birthplace ...'
            gap = len(re.match(r"[.!?]?\s*", following).group(0))
            lead = _leading_quote_end(following[gap:])
            if lead and st.end + gap + lead <= limit:
                st = replace(st, end=st.end + gap + lead)
            before = text[: st.end]
            if before.count('"') % 2 or before.count("“") > before.count("”"):
                # it stops inside a quote it opened: it runs to the sentence that closes the quote
                close = re.compile(r'["”]').search(text, st.end)
                stop = re.compile(r'[.!?]?["”](?:\s|$)').search(text, close.start()) if close else None
                if stop and stop.end() <= limit:
                    st = replace(st, end=stop.end() - (text[stop.end() - 1].isspace()))
        out.append(st)
    return out


def _mentions_in(text: str, position: int, sentence_counter: list[int],
                 subjects: list[tuple[int, str]] | None = None) -> list[_Mention]:
    """The attributions of one paragraph; with `subjects`, also collects (sentence index, name) of the persons
    its narrative sentences have for subject (`_narrative_subject`)."""
    found: list[_Mention] = []
    # Transcript shape: "PENCE: Well, ..." at the start of a paragraph.
    # (a transcript quoted whole opens each paragraph with a quotation mark: '"PENCE: Well, ...')
    m = re.match(r"^[\"“]?([A-Z][A-Z.'\- ]{1,40}|[A-Z][\w.'\-]+(?: [A-Z][\w.'\-]+){0,2}):\s+\S", text)
    if m and words_of(m.group(1)) and words_of(m.group(1))[0] not in NOT_NAMES and not set(words_of(m.group(1))) & _LABELS:
        label = clean_name(m.group(1))  # "Explained: the links between ..." leaves no name: a headline, no speaker
        if _is_name(label):
            found.append(_Mention(position, sentence_counter[0], _Source("name", label), ":", (m.end() - 1, len(text))))
    cursor = 0
    for sentence in split_sentences(text):
        offset = text.find(sentence, cursor)
        offset = cursor if offset < 0 else offset
        cursor = offset + len(sentence)
        sentence_counter[0] += 1
        masked = mask_quotes(sentence)
        if subjects is not None and (subject := _narrative_subject(masked)):
            subjects.append((sentence_counter[0], subject))
        seen_here: set[str] = set()
        cue_matches = list(_CUE_RE.finditer(masked))
        initial = _INITIAL_CUE_RE.match(masked)
        if initial:
            cue_matches.insert(0, initial)
        for cue_match in cue_matches:
            if cue_match.groupdict().get("acc"):
                source = _source_after(sentence[cue_match.end() :])
                cue = "according to"
            else:
                cue = cue_match.group("cue").lower()
                if _POSSESSIVE_BEFORE_RE.search(masked[: cue_match.start()]):
                    continue  # "Mr Clarke's proposed amendment": an adjective after a possessive, no cue
                if cue in ("show", "shows") and _ROLE_AND_NAME_RE.match(masked, cue_match.end()):
                    continue  # "Talk show host Jerry Springer": a noun in a title before a name, no cue
                source = _source_before(sentence[: cue_match.start()])
                if source is None and cue.endswith("ing") and sentence[: cue_match.start()].rstrip().endswith(",") \
                        and not _NO_SPEECH_AFTER_RE.match(masked, cue_match.end()):
                    # "Mr Marchionne is confident of his firm's position, saying ...": the sentence's subject
                    source = _participle_subject(masked[: cue_match.start()])
                if source is None and cue in INVERTIBLE:
                    source = _source_after(sentence[cue_match.end() :])
            if source is None or source.text.lower() in seen_here:
                continue
            if source.kind == "name" and not _is_name(source.text):
                continue
            seen_here.add(source.text.lower())
            found.append(_Mention(position, sentence_counter[0], source, cue, _statement_span(sentence, offset, text)))
    return found


_FIRST_AND_LAST_RE = re.compile(
    r"(?<![\w'’.-])([A-Z][a-z]+(?:-[A-Z][a-z]+)?) ((?:O['’]|Mc|Mac)?[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)*)(?![\w-])")


def _text_before(article: Article, mention: _Mention) -> str:
    """The article's text before a mention."""
    paragraphs = [p.text for p in article.paragraphs[: mention.position]]
    return "\n".join([*paragraphs, article.paragraphs[mention.position].text[: mention.span[0]]])


def _full_names_in_text(article: Article) -> dict[str, set[str]]:
    """Surname -> the first names written before it anywhere in the article ("Charles Kennedy", not
    "Mr Kennedy" or "Lib Dem"), so a source quoted only by surname gets their whole name when the article
    gives exactly one."""
    out: dict[str, set[str]] = {}
    for paragraph in article.paragraphs:
        for m in _FIRST_AND_LAST_RE.finditer(paragraph.text):
            first, last = m.group(1), m.group(2)
            if (first.lower() in NOT_NAMES or first.lower() in TITLE_WORDS or first.lower() in ORG_WORDS
                    or last.lower() in NOT_NAMES or last.lower() in TITLE_WORDS or last.lower() in ORG_WORDS
                    or first.lower() in NOT_FIRST_NAMES):
                continue
            out.setdefault(last, set()).add(first)
    return out


def _narrated(subjects: list[tuple[int, str]], mention: _Mention, article: Article,
              canonical: Callable[[str], str]) -> tuple[str, int] | None:
    """The person the narrative before a pronoun's cue is about (the latest `_narrative_subject` within 8
    sentences, up to the cue's own sentence), unless the quote itself names them: a speaker does not
    call themselves by name ("I've had a word with Olof" is not Olof's)."""
    paragraph = article.paragraphs[mention.position].text
    quote = paragraph[mention.span[0] : mention.span[1]]
    quoted = set(words_of(quote))
    text = "\n".join(p.text for p in article.paragraphs)
    # the pronoun's own sentence, to the statement's end, outside quotes
    opening = mask_quotes(paragraph[: mention.span[0]].rsplit(". ", 1)[-1] + quote)
    honorific = "|".join(sorted(PLAIN_HONORIFICS - {"mr.", "mrs.", "ms.", "dr."}))
    if re.search(rf"\b(?i:{honorific})\.?\s+[A-Z]", opening):
        return None  # "Ms Hughes was forced to resign over abuses she claimed ...": hers, whoever came before
    for index, name in reversed(subjects):
        if index > mention.sentence_index:
            continue
        if mention.sentence_index - index > 8:
            return None
        full = canonical(name)
        if not set(words_of(full)) & quoted and _called_by_surname(name, text) \
                and _gender(full, text) in ("", mention.source.text):
            return name, index
    return None


def _parenthetical_subject(mention: _Mention, article: Article) -> str | None:
    """For a pronoun's cue set between commas inside a sentence of narrative (", he claims,"), the person
    the sentence has for its subject, who is the one claiming; None for any other pronoun's cue."""
    paragraph = article.paragraphs[mention.position].text
    sentence = mask_quotes(paragraph[: mention.span[0]].rsplit(". ", 1)[-1] + paragraph[mention.span[0] : mention.span[1]])
    if not re.search(r",\s+(?:he|she)\s+[a-z]+,", sentence):
        return None
    return _narrative_subject(sentence.strip()) or None


@lru_cache(maxsize=4)
def _narrative_of(text: str) -> str:
    """An article's text without its quotes, read once for all its pronouns."""
    return mask_quotes(text)


_GENDERED = {"he": "he", "him": "he", "his": "he", "himself": "he", "mr": "he",
             "she": "she", "her": "she", "hers": "she", "herself": "she", "mrs": "she", "ms": "she", "miss": "she"}


def _gender(name: str, text: str) -> str:
    """"he" or "she" when the article's narrative calls the person so: an honorific before the surname ("Mrs
    Kelly") or the first pronoun after it in the same or the next sentence, outside quotes ("Arjen Robben has
    broken two bones in his foot"); "" when it does not say, or says both."""
    surname = re.escape(name.split()[-1])
    narrative = _narrative_of(text)
    votes = {m.group(1).lower() for m in re.finditer(rf"\b(Mr|Mrs|Ms|Miss)\.?\s+{surname}\b", narrative)}
    # not after a possessive: "Scoggins' daughter ... said that her father"
    for m in re.finditer(rf"\b{surname}\b(?!['’])((?:[^.!?]*[.!?]){{1,2}})", narrative):
        pronoun = re.search(r"\b(?:he|him|his|himself|she|her|hers|herself)\b", m.group(1), re.IGNORECASE)
        if pronoun:
            votes.add(pronoun.group(0).lower())
    genders = {_GENDERED[v] for v in votes}
    return genders.pop() if len(genders) == 1 else ""


def _called_by_surname(name: str, text: str) -> bool:
    """Whether the article calls `name` a person as news does: by an honorific and the surname ("Mr Davies"),
    the surname and an age ("Davies, 60,") or the surname alone saying something ("Davies said"); a band,
    a club or a title ("Scissor Sisters", "Real Madrid") is not called so."""
    parts = name.split()
    surname = re.escape(parts[-1])
    honorific = "|".join(sorted(PLAIN_HONORIFICS - {"mr.", "mrs.", "ms.", "dr."}))
    if re.search(rf"\b(?i:{honorific})\.?\s+(?:[A-Z][\w'’-]+\s+)?{surname}\b", text):  # "Dr (Richard) Lewis"
        return True
    if len(parts) < 2:
        return False
    if re.search(rf"\b{re.escape(name)}\b[^.!?]*[.!?]\s+(?:He|She)\s", text):
        return True  # "But Dave Winer is doubtful. He designed ...": "he" or "she" is a person, a band "they"
    if any(m.group(1) in _PERSON_ROLES | TITLE_WORDS
           for m in re.finditer(rf"\b([\w-]+)\s+{re.escape(name)}\b", text)):
        return True  # "Chelsea winger Arjen Robben": a person's post before the name
    alone = rf"(?<!{re.escape(parts[-2])} )(?<![\w'’-]){surname}"
    return bool(re.search(rf"{alone},\s+\d{{1,3}},|{alone}\s+(?:{'|'.join(_SAYING)})\b", text))


_SAYING = ("said", "says", "told", "added", "admitted", "insisted", "explained", "believes", "thinks", "claimed")


@cache
def rules_version() -> str:
    """Which rules these are (a digest of this module and qa.ingest.names, whose word lists and name helpers are
    rules too): an index made with other rules has its speakers re-derived by the next `qa index`
    (StoreWriter.refresh_attribution), without re-embedding."""
    digest = hashlib.sha256()
    for module in RULE_MODULES:
        digest.update(Path(__file__).with_name(module).read_bytes())
    return digest.hexdigest()[:16]


def attribute(article: Article) -> Attribution:
    """Find the speakers of every searchable paragraph of `article` and resolve their references."""
    counter = [0]
    mentions: list[_Mention] = []
    subjects: list[tuple[int, str]] = []  # (sentence index, name) of persons narrative sentences are about
    quote_open_positions: list[int] = []
    # paragraph -> end of its opening quoted sentences, where it also credits others after them
    leading_quotes: dict[int, int] = {}
    for position, paragraph in enumerate(article.paragraphs):
        if not paragraph.searchable:
            continue
        found = _mentions_in(paragraph.text, position, counter, subjects)
        if not found and re.match(r"^\s*[“\"]", paragraph.text):
            quote_open_positions.append(position)
        elif found and (lead := _leading_quote_end(paragraph.text)) and all(m.span[0] >= lead for m in found):
            leading_quotes[position] = lead
        mentions.extend(found)

    # Canonical names: a short name ("Klingner", "Mrs. Clinton") joins the longest name ending with it.
    full_names = sorted({m.source.text for m in mentions if m.source.kind == "name"}, key=len, reverse=True)

    written = _full_names_in_text(article)
    # surnames the article gives an honorific ("Dr Fox"): persons, though "Fox" is also a broadcaster's name
    honoured = {m.group(1) for p in article.paragraphs
                for m in re.finditer(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Sir|Lord|Lady|Dame)\.?\s+([A-Z][\w'’-]+)", p.text)}

    def canonical(name: str, mention: _Mention | None = None) -> str:
        """`mention`: where the name is credited; of two full names ending with it ("Jarek Kujda", "Malgorzata
        Kujda"), the one credited or written last before it."""
        tokens = name.lower().split()
        fulls = [full for full in full_names
                 if len(full.split()) > len(tokens) and full.lower().split()[-len(tokens):] == tokens]
        if len(fulls) > 1 and mention is not None:
            before = _text_before(article, mention)
            last = max(fulls, key=lambda full: before.rfind(full))
            if last in before:
                return last
        if fulls:
            return fulls[0]
        # "Mr Kennedy said" in an article that calls him "Charles Kennedy" only where he is not quoted
        firsts = written.get(name, set()) if len(tokens) == 1 else set()
        return f"{next(iter(firsts))} {name}" if len(firsts) == 1 else name

    speakers: dict[str, dict] = {}
    article_text = "\n".join(p.text for p in article.paragraphs)

    def record(name: str, kind: str, alias: str | None = None, descriptor: str = "") -> dict:
        entry = speakers.setdefault(name, {"aliases": [], "descriptors": [], "kind": kind, "positions": []})
        for a in (name, alias, name.split()[-1] if kind == "person" and name.split() else None):
            if a and a not in entry["aliases"]:
                entry["aliases"].append(a)
        if descriptor and descriptor not in entry["descriptors"]:
            entry["descriptors"].append(descriptor)
        return entry

    statements: list[Statement] = []
    last_person: tuple[str, int] | None = None  # (name, sentence index)
    last_group: tuple[str, int] | None = None
    last_by_position: dict[int, str] = {}

    def descriptor_match(phrase: str) -> str | None:
        """'the former CIA analyst' -> the named speaker whose descriptor holds those words."""
        words = {w for w in words_of(phrase) if w not in _DETERMINERS and w not in NOT_NAMES}
        if not words:
            return None
        head = words_of(phrase)[-1]
        best = None
        for name, entry in speakers.items():
            for d in entry["descriptors"]:
                # the phrase's last word names the person, not the post it describes ("the report" is no
                # "report author", "the committee" no "committee chairman")
                if words <= set(words_of(d)) and any(
                        (after.group(1) or "").lower() not in _PERSON_ROLES | TITLE_WORDS
                        for after in re.finditer(rf"(?i)\b{re.escape(head)}\b(?:\s+([\w-]+))?", d)):
                    best = name  # the latest match wins: the nearest earlier speaker
        return best

    for m in mentions:
        src = m.source
        reference = "name"
        if src.kind == "name":
            name = canonical(src.text, m)
            reference = "titled name" if src.titled else "name" if name == src.text else "short name"
            # a name given a person's post is a person's, whatever word it shares with a firm ("Tory co-chairman
            # Liam Fox": Fox is a network too)
            kind = "organisation" if is_org(name) and name.split()[-1] not in honoured \
                and (words_of(src.descriptor) or [""])[-1] not in _PERSON_ROLES | TITLE_WORDS else "person"
            record(name, kind, src.text, src.descriptor)
        elif src.kind == "pronoun":
            target = last_group if src.text == "they" else last_person
            own = _parenthetical_subject(m, article) if src.text != "they" else None
            if own is not None:
                # "Mr Mallon is a late recruit ... including, he claims, Tory leader Michael Howard": his claim
                record(canonical(own), "person", own)
                target = (canonical(own), m.sentence_index)
            if src.text != "they" and target is not None and own is None and target[0][:1].isupper() \
                    and _gender(target[0], article_text) not in ("", src.text):
                target = None  # "she said" after a man is quoted is not his
            narrated = _narrated(subjects, m, article, canonical) if src.text != "they" and own is None else None
            if narrated is not None and (target is None or m.sentence_index - target[1] > 8
                                         or narrated[1] > target[1]):
                # no quoted person within reach, or the narrative has since turned to another: "Quentin Davies ...
                # was attacked. He said: ..." is theirs, and so is "... Charles Kennedy welcomed the fact ...
                # Mr Bush's first task was ..., he said" after Michael Howard is quoted
                record(canonical(narrated[0]), "person", narrated[0])
                target = (canonical(narrated[0]), narrated[1])
            if target is None or m.sentence_index - target[1] > 8:
                continue
            name, reference = target[0], "pronoun"
        else:
            phrase = src.text
            named = descriptor_match(phrase) if phrase.lower().startswith(("the ", "that ", "this ")) else None
            if named is None and _TITLE_BACK_RE.fullmatch(phrase):
                # "The minister told delegates" in an article quoting one person by name (Patricia Hewitt) so far
                persons = [n for n, e in speakers.items() if e["kind"] == "person" and n[:1].isupper()
                           and len(n.split()) >= 2 and not is_org(n)]
                named = persons[0] if len(persons) == 1 else None
            if named:
                name, reference = named, "descriptor"
                record(name, speakers[name]["kind"], None, "")
                if phrase not in speakers[name]["aliases"]:
                    speakers[name]["aliases"].append(phrase)
            else:
                head_words = words_of(phrase)
                plural = any(w in _GROUP_ROLES for w in head_words) and not any(w in _PERSON_ROLES for w in head_words)
                phrase = re.sub(r"^(?:but|and|so|yet|while|as|because)\s+", "", phrase, flags=re.I)
                first = phrase.split()[0].lower() if phrase.split() else ""
                name = phrase[0].lower() + phrase[1:] if first in _DETERMINERS else phrase
                reference = "descriptor"
                record(name, "group" if plural else "anonymous", None, phrase)
        entry = speakers[name]
        if m.position not in entry["positions"]:
            entry["positions"].append(m.position)
        statements.append(Statement(m.position, name, m.cue, m.span[0], m.span[1], reference))
        last_by_position[m.position] = name
        if entry["kind"] in ("person", "anonymous"):
            last_person = (name, m.sentence_index)
        else:
            last_group = (name, m.sentence_index)

    # A paragraph continues the previous paragraph's speaker when it is only a quote, or when the previous
    # paragraph introduces it ("Cruz continued:", "Clinton released this statement:"): news puts a long
    # quote in paragraphs of its own.
    for position, paragraph in enumerate(article.paragraphs):
        previous = last_by_position.get(position - 1)
        if not previous or not paragraph.searchable:
            continue
        introduced = article.paragraphs[position - 1].text.rstrip().endswith(":")
        if position in leading_quotes and not introduced:
            statements.append(Statement(position, previous, "quote", 0, leading_quotes[position], "continuation"))
            speakers[previous]["positions"].append(position)
            continue
        if position not in quote_open_positions and not introduced:
            continue
        if any(s.position == position and s.speaker == previous for s in statements):
            continue
        statements.append(Statement(position, previous, "quote" if position in quote_open_positions else ":",
                                    0, len(paragraph.text), "continuation"))
        speakers[previous]["positions"].append(position)
        last_by_position.setdefault(position, previous)

    statements.sort(key=lambda s: (s.position, s.start))
    statements = _with_following_quotes(article, statements)
    result = tuple(
        Speaker(name, tuple(e["aliases"]), tuple(e["descriptors"]), e["kind"], tuple(sorted(set(e["positions"]))))
        for name, e in speakers.items()
    )
    return Attribution(result, tuple(statements))
