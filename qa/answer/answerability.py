"""Does a sentence answer what was asked? The kind of answer a question wants (a person, a number, an
amount of money, a date, a place, a reason) and its subject (the names it gives, the measure it asks
for), and whether a sentence of the evidence gives that kind about that subject.

Both answerers read this before they word anything: when no sentence of the passages gives what was
asked about what was asked, qa abstains and says what the passages do hold, instead of quoting the
closest sentences ("other companies' net profits" under a question about Nestle's). The same test
ranks sentences (a sentence that gives the asked kind comes first) and gathers the articles that answer a
question asking for a list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..ingest.dates import DateMention
from .verification import _IRREGULAR, _LIGHT_VERBS, _content_words, _names, _stem_in, _words_of

# Words that refer to the archive itself ("According to the article, ..."): never the question's subject.
ARCHIVE_WORDS = frozenset("article articles story stories report reports reported passage passages archive "
                          "news according piece coverage text".split())
# What a "how much" / "what was the ..." question measures in money.
# Nouns naming what an amount of money is (a sentence giving it says which), and words that only say
# money is asked about (then any other word of the question places the amount).
_MONEY_NOUNS = frozenset(
    "profit profits loss losses price prices sales revenue revenues turnover earnings salary salaries wage wages "
    "fine fines fee fees budget debt debts deficit surplus tax taxes spending investment compensation payout "
    "bonus bonuses income dividend funding damages valuation".split())
_MONEY_WORDS = frozenset("money cash pay pays paid paying cost costs costing spend spends spent earn earns earned "
                         "earning sum worth save saves saved saving raise raised raising fetch fetches fetched fetching "
                         "charge charges charged charging donate donates donated donating pledge pledges pledged "
                         "pledging invest invests invested investing lend lends lent lending borrow borrows borrowed "
                         "borrowing owe owes owed owing".split())
# A money verb of the question is stated by any word of its family: "cost" by "sell for £339", "make" (of
# a company) by "earned", never by "spent".
_COST_FAMILY = frozenset("cost costs price priced prices sell sells selling sold retail charge charged charges "
                         "spend spends spent spending worth fee fees budget buy buys buying bought acquire acquired "
                         "deal takeover offer bid valued fetch fetches fetched auction auctioned "
                         "lease leases leased leasing rent rents rented renting "
                         "sign signs signed signing".split())  # a player's price: "signed for £4.6m"
_INCOME_FAMILY = frozenset("make makes made earn earns earned earning earnings revenue revenues sales income profit "
                           "profits takings".split())
_GIFT_FAMILY = frozenset("donate donates donated donating donation donations give gives gave given pledge pledges "
                         "pledged contribute contributes contributed contribution".split())
_PAY_FAMILY = frozenset("pay pays paid paying salary salaries wage wages earn earns earned package bonus "
                        "remuneration".split())
# "make" asks for money only beside a word that says so ("How much money does IBM make?"), not "made the
# interception": it states an amount but does not ask for one.
_FAMILIES = {w: fam for fam in (_COST_FAMILY, _INCOME_FAMILY, _PAY_FAMILY, _GIFT_FAMILY) for w in fam
             if w not in ("make", "makes", "made", "sales", "deal", "offer", "bid", "give", "gives", "gave", "given")}
_MONEY_MEASURES = _MONEY_NOUNS | _MONEY_WORDS
_CURRENCIES = frozenset("dollars pounds euros francs".split())  # "in Euros"; "Million Dollar Baby" is a name
_SPELLED = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
            r"sixty|seventy|eighty|ninety|a hundred|one hundred)")
# currencies written as words after a figure ("19bn kronor", "1.5 billion reais"); "won" only after a
# multiplier ("2bn won"), as "4 won" is a score
_CURRENCY_WORDS = (r"(?:dollars|pounds|euros?|yen|francs|yuan|rupees|roubles|kronor|kroner|krona|krone|rand|pesos|"
                   r"lira|lire|rupiah|ringgit|baht|naira|dinars|dirhams|riyals|rials|shekels|zlotys?|forints|reais)")
_WON = r"|\d\s?(?:bn|m|million|billion|trillion)\s*won\b"
# A rise or fall is an amount in percent too, in figures or in words ("rose by ten percent").
_CURRENCY_RE = re.compile(r"[$£€¥]\s?\d|\d\s?%|(?:\d|\b" + _SPELLED + r")\s*(?:per cent|percent)\b|\d\s?(?:bn|m|k|million|billion|trillion|"
                          r"thousand)?\s*(?:" + _CURRENCY_WORDS + r"|pence|cents|p)\b|\b(?:us\$|usd|gbp|eur)\b" + _WON,
                          re.IGNORECASE)
_PERCENT_RE = re.compile(r"\d\s?%|(?:\d|\b" + _SPELLED + r")\s*(?:per cent|percent)\b", re.IGNORECASE)
# A price, a payment or a cost is asked for: its answer is a sum of money, never a percentage (unless a rate,
# a share or a stake is asked: "What rate of income tax will they pay?").
_PRICE_ASKED_RE = re.compile(r"\b(?:pay|paid|pays|paying|cost|costs|costing|spend|spends|spent|spending|price|priced|"
                             r"charge|charged|charges|fees?|compensation|damages|salary|wages?|prize money)\b",
                             re.IGNORECASE)
_RATE_WORDS_RE = re.compile(r"\b(?:rates?|percentage|proportion|how much of|(?:what|which|how big an?|how large an?)\s+"
                            r"(?:share|stake))\b", re.IGNORECASE)
_MONEY_AMOUNT_RE = re.compile(r"[$£€¥]\s?\d[\d,.]*\s?(?:bn|m|k|billion|million|trillion)?|\d[\d,.]*\s?"
                              r"(?:bn|m|billion|million)?\s*" + _CURRENCY_WORDS + r"\b" + _WON, re.IGNORECASE)
_NUMBER_RE = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                        r"forty|fifty|hundreds?|thousands?|millions?|billions?|dozens?|half|double|doubled|tripled|"
                        r"halved|once|twice|several|numerous|multiple|a few|many times|a handful)\b", re.IGNORECASE)
_DATE_WORDS_RE = re.compile(
    r"\b(?:1[0-9]{3}|20[0-9]{2}|january|february|march|april|may|june|july|august|september|october|november|"
    r"december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|(?<!of )(?:today|tomorrow)|"
    r"(?:last|next|this) (?:week|month|year|spring|summer|autumn|winter)|century|decade)\b", re.IGNORECASE)
# "as" giving a cause ("backed the plans as the police said they would help"), not a comparison or a role
# ("such as the", "as well as", "the same as the", "known as").
_AS_CAUSE = (r"(?<!such )(?<!same )(?<!well )(?<!known )(?<!regarded )(?<!seen )(?<!much )(?<!soon )(?<!long )"
             r"(?<!just )(?<!\bas )(?<=[\s,])as (?=(?:the|it|they|he|she|we|its|their|his|her|investors|consumers|"
             r"demand|prices|sales|costs|fans|police)\b)")
# "since" of time ("the highest since records began", "since September", "since 1971", "since winning gold")
# gives no cause.
_SINCE_TIME = (r"(?!\s+(?:\d|records|then|last|early|mid|late|the (?:start|beginning|end|turn|launch|days)|[a-z]+ing\b|"
               r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
               r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b))")
# "after" a length of time ("resigned after only a year in his post", "after 20 minutes") gives no cause.
_AFTER_TIME = (r"(?!\s+(?:only\s+|just\s+|nearly\s+|almost\s+|more than\s+|less than\s+|about\s+)?(?:a|an|one|two|"
               r"three|four|five|six|seven|eight|nine|ten|\d+|a few|several)\s+(?:years?|months?|"
               r"weeks?|days?|hours?|minutes?|seasons?|decades?)\b)")
# "Given these circumstances, the commander made the decision ...": a cause stated before its effect; not the
# passive verb ("was given the award").
_GIVEN = (r"(?<!be )(?<!been )(?<!being )(?<!is )(?<!are )(?<!was )(?<!were )(?<!has )(?<!have )(?<!had )(?<!get )"
          r"(?<!got )given(?= (?:the|that|this|these|those|its|their|his|her) )")
# A motive or a purpose: what someone was after when they did the asked thing ("At the time, Titan was trying
# to get a higher price", "in an effort to win back customers", "wanted to spend more time with his family").
# The motive follows the cue, the act it explains comes before it (or in the sentence before).
_MOTIVE = (r"(?:try|tries|tried|trying|attempt(?:s|ed|ing)?|hop(?:e|es|ed|ing)|want(?:s|ed|ing)?|wish(?:es|ed|ing)?|"
           r"keen|eager|anxious|determined|desperate|look(?:s|ed|ing)|seek(?:s|ing)?|sought|striv(?:e|es|ing)|"
           r"(?:in an?|in their|in its|in his|in her) (?:effort|attempt|drive|move|push)) to(?= [a-z])|"
           r"with the (?:aim|intention|goal|hope) of|in the hope (?:of|that)|"
           r"so (?:that )?(?:he|she|it|they|we|i|you) (?:could|can|would|might)")
# Persuasion: the cause comes first and wins the doer over ("the value of the cause easily won him over",
# "the offer persuaded them"); the doer is often a pronoun for the one the sentence before names. ("a 3-0 win
# over Queen of the South" is a victory.)
_PERSUADED = (r"(?:won|win|wins|winning)(?= (?:\w+ ){1,2}over\b)|(?<=to )win(?= over\b)|persua(?:de|ded|des|ding)|"
              r"convinc(?:e|ed|es|ing)")
# An explanation credited to someone, of the act itself ("Mr Ruddock said the move was designed to ...",
# "the firm cut the jobs as part of a restructuring"): the act and its reason may stand on either side.
_EXPLAINED = (r"(?:said|says|argued|argues|insisted|insists|claimed|claims|believes|believed) (?:that )?"
              r"(?:the|this|its|his|her|their) (?:move|decision|step|change|action|plan|deal|cuts?|ban|sale|"
              r"purchase|takeover|bid|appointment|departure|choice)|"
              r"(?:the|this) (?:move|decision|step) (?:was|is|would|will|came|comes)|"
              r"as part of (?:a|an|its|their|his|her|the) (?:plan|strategy|drive|effort|push|bid|campaign|review|"
              r"overhaul|restructuring)")
# Cues of a reason ("hit", "dampened", "because", "after", "blamed"): what a why / how question wants.
CAUSE_RE = re.compile(
    r"\b(?:because|due to|owing to|thanks to|benefit(?:ed|ted|s|ing)? from|as a result|result(?:ed|s)? (?:of|from)|blam(?:e|ed|es|ing)|"
    r"caus(?:e|ed|es|ing)|hit|hurt|dampen(?:ed|s)?|(?<!hard )(?<!disk )(?<!test )driv(?:e|en|es|ing)|boost(?:ed|s)?|fuel(?:l?ed|s)?|led to|lead to|"
    r"aim(?:ed|s)? (?:at|to)|in a bid to|seek(?:s|ing)? to|designed to|intended to|so as to|to offset|"
    r"insufficient|lack of|failed to|failure to|failing to|"
    r"for (?:not |allegedly )?(?!(?:any|some|no|every)thing\b|morning\b|evening\b|spring\b|during\b|"
    r"building\b|beijing\b)\w{3,}ing\b|"
    r"leads to|reflect(?:ed|s|ing)?|amid|following|after" + _AFTER_TIME + r"|since" + _SINCE_TIME + r"|so that|in order to|reasons?|why|attribut(?:e|ed|es)|"
    r"pressure|concern(?:s|ed)?|fears?|worr(?:y|ies|ied)|explained|by (?:\w+ing)|helped|means|meant|"
    r"(?<!be )(?<!been )(?<!being )(?<!is )(?<!are )(?<!was )(?<!were )allow(?:s|ed)?|enabl(?:e|ed|es)|on (?:the )?(?:\w+ )?(?:grounds|ground(?= (?:of|that)\b))|(?:effect|impact) on|(?:could|would|will|should|to) make (?:it|them|this|that)\b|"
    r"on the back of|in the wake of|in response to|on account of|citing|buoyed by|spurred|prompt(?:ed|s)?|" + _GIVEN + r"|"
    r"trigger(?:ed|s)?|help(?:s|ing)?|responsible for|(?:spr(?:ing|ings|ang|ung)|stem(?:s|med)?) from|"
    r"for the sake of|(?:battle|fight|bid|campaign|claim)s? for|(?<=, )(?:saying|claiming|alleging|arguing)|alleg(?:es|ing)|accus(?:es|ing)|" + _AS_CAUSE +
    r"|" + _MOTIVE + r"|" + _PERSUADED + r"|" + _EXPLAINED + r")\b",
    re.IGNORECASE)
# Cues with the cause before them and the effect after ("bad weather has hit sales", "X means Y"), unless
# passive ("hit by"): a word of the asked effect only before one of them names the cause of something else
# ("demand from China's fast-growing economy has fuelled production" does not say why it grows).
_FORWARD_CUE_RE = re.compile(
    r"\b(?:hit|hurt|dampen(?:ed|s)?|driv(?:e|en|es|ing)|drove|boost(?:ed|s)?|fuel(?:l?ed|s)?|led to|leads? to|"
    r"caus(?:e|ed|es|ing)|means|meant|allow(?:s|ed)?|enabl(?:e|ed|es)|helped|(?:effect|impact) on|spurred|"
    r"prompt(?:ed|s)?|trigger(?:ed|s)?|help(?:s|ing)?|responsible for|" + _PERSUADED + r")\b(?!\s+by\b)", re.IGNORECASE)
# Cues that stand between the cause and its effect without an order ("the reasons for", "blamed X for Y",
# "concerns"): the asked effect may be on either side.
_OPEN_CUE_RE = re.compile(r"\b(?:blam(?:e|ed|es|ing)|reasons?|why|attribut(?:e|ed|es)|pressure|concern(?:s|ed)?|given|"
                          r"fears?|worr(?:y|ies|ied)|explained|insufficient|lack of|fail(?:ed|ure|ing) to|"
                          + _EXPLAINED + r")\b",
                          re.IGNORECASE)
_HONORIFIC_RE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Sir|Lord|Lady|Baroness|Prof|Professor|President|"
                           r"Chancellor|Minister|Secretary|Chairman|Chief)\.?\s+([A-Z][\w'’-]+)")
_FULL_NAME_RE = re.compile(r"\b([A-Z][a-z][\w'’-]*)\s+((?:(?:de|van|von|da|al|le|la)\s+)?[A-Z][\w'’-]*[a-z])\b")
# Capitalised words that name no one and nowhere.
_NOT_NAMES = frozenset(
    "the a an this that these those it he she they we i his her their its our in on at for but and or if when "
    "while as after before monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december mr mrs ms dr sir bbc".split()) | frozenset(
    # words that open or join a title ("Here To Stay", "Out Of Time"), never a person's name
    "to of from with into onto over up down out off here there all no not my your me you us is are".split())

_KIND_RES = [
    ("reason", re.compile(r"^\W*(?:why|how come|what (?:caused|led to|was behind|is behind|prompted|made)|"
                          r"for what reason|what (?:was|were|is|are) the (?:reasons?|causes?))\b", re.IGNORECASE)),
    ("date", re.compile(r"^\W*(?:when|what (?:year|date|day|month|time)|in what (?:year|month)|on what (?:date|day)|"
                        r"which (?:year|date|day|month))\b", re.IGNORECASE)),
    ("place", re.compile(r"^\W*(?:where|in (?:what|which) (?:country|city|town|region|place|state)|"
                         r"(?:what|which) (?:country|city|town|region|place|venue|state)\b)", re.IGNORECASE)),
    ("number", re.compile(r"^\W*(?:how (?:many|long|old|far|often|big|large|tall|high|fast)|what (?:percentage|"
                          r"proportion|share|number|rate)|by how (?:much|many))\b", re.IGNORECASE)),
    ("person", re.compile(r"^\W*(?:who|whom|whose)\b", re.IGNORECASE)),
]
# "What did X say / think about T?": a statement, whatever T names.
_STATEMENT_RE = re.compile(r"^\W*(?:according to [^,]+,\s*)?what (?:did|does|do|has|have|had|was|is) .{1,80}?\b"
                           r"(?:say|said|think|thought|tell|told|claim|argue|warn|write|wrote)\b", re.IGNORECASE)
# "From which club ...", "To which ..." ask as "Which ..." does.
_ASKING_PREPOSITION = r"(?:(?:from|to|by|with|for|at|against|on|of|in)\s+)?"
# "Which novel ...", "What company ...": a thing asked for by name.
_WHICH_NAME_RE = re.compile(r"^\W*" + _ASKING_PREPOSITION + r"(?:which|what(?=\s+(?:company|firm|novel|film|book|team|club|group|party|band|"
                            r"song|album|game|console|product|brand|bank|network|channel|show|programme|"
                            r"newspaper|airline|carmaker|website|country|city)\b))\s+(?!is\b|was\b|are\b|were\b|did\b|does\b|do\b|has\b|have\b|"
                            r"had\b|will\b|would\b|can\b|could\b|should\b|kind\b|type\b|sort\b)[a-z]+\b",
                            re.IGNORECASE)

# "Which actor ...", "Which Google executive ...", "What UKIP London Assembly member ...": one person asked for by
# what they are (a list, "Which actors ...", is read by listing).
_PERSON_NOUNS = ("actor|actress|singer|rapper|musician|guitarist|drummer|bassist|composer|producer|director|"
                 "presenter|author|writer|novelist|journalist|editor|comedian|artist|player|striker|goalkeeper|"
                 "captain|coach|manager|referee|athlete|executive|boss|chief|chairman|chairwoman|founder|owner|"
                 "minister|secretary|chancellor|politician|mp|mep|candidate|member|leader|official|spokesman|"
                 "spokeswoman|spokesperson|lawyer|judge|economist|analyst|officer|detective|doctor|scientist|"
                 "designer|president|governor|senator|ambassador|person|man|woman|pupil|student|teenager|girl|"
                 "boy|child|fan|worker|employee|rider|driver|boxer|footballer|golfer|cricketer|batsman|bowler|"
                 "aide|adviser|advisor|businessman|businesswoman|entrepreneur|banker|teacher|victim|suspect|"
                 "hacker|blogger|briton|champion|winner|medallist|sprinter|runner|hurdler|swimmer|cyclist|"
                 "jockey|trainer|skipper|winger|midfielder|defender|full-back|fly-half|scrum-half|flanker|lock|prop|"
                 "hooker|jumper|thrower|vaulter|rower|skier|sailor|veteran|keeper|forward")
_NAME_OF_RE = re.compile(r"^\W*what\s+(?:is|was|were|are)\s+the\s+name\s+of\s+(?:the|a|an)\s+", re.IGNORECASE)
_WHICH_PERSON_RE = re.compile(rf"^\W*{_ASKING_PREPOSITION}(?:which|what)\s+(?:(?!(?:the|a|an|his|her|its|their)\s)[\w'’.&-]+\s+){{0,3}}?(?:{_PERSON_NOUNS})\b(?!['’])",
                              re.IGNORECASE)


# "What was Brazil's unemployment rate ...?", "What is the percentage of ...", "What share of e-mail is junk?":
# a rate, a number whose answer is a percentage or a fraction, not any figure ("measured in the six main areas").
_RATE_ASKED_RE = re.compile(r"^\W*what\s+(?:is|was|were|are)\s+(?:the\s+|[\w'’.-]+(?:'s|’s)\s+|[A-Z][\w'’.-]*\s+)*"
                            r"(?:[a-z-]+\s+){0,3}?(?:rate|percentage|proportion)\b"
                            r"|^\W*what\s+(?:share|proportion|percentage|fraction)\s+of\b", re.IGNORECASE)
_FRACTIONS = r"(?:halves|half|thirds?|quarters?|fifths?|sixths?|sevenths?|eighths?|ninths?|tenths?)"
_RATE_GIVEN_RE = re.compile(r"\d\s?%|\d\s*(?:per ?cent|percent|percentage points?)\b|\b(?:half|a third|a quarter|"
                            r"a fifth|a tenth|one in (?:\d+|two|three|four|five|six|seven|eight|nine|ten))\b|"
                            # "about one-eighth the number of", "two-thirds of", "3/4 of"
                            rf"\b(?:one|two|three|four|five|six|seven|eight|nine)[- ]{_FRACTIONS}\b|\b\d+/\d+\s+of\b",
                            re.IGNORECASE)


def asks_rate(question: str) -> bool:
    """The question asks what a rate or a percentage was ("What was Brazil's unemployment rate?")."""
    return bool(_RATE_ASKED_RE.match(question))


@dataclass(frozen=True)
class Asked:
    """What a question asks for: `kind` (person, number, amount, date, place, reason, name: "which
    novel ...", or thing: no particular kind), the `names` it gives (its subject) and the `measure` words an amount or count is
    of ("net profit", "jobs")."""

    kind: str
    names: frozenset[str]
    measure: frozenset[str]
    question: str
    groups: tuple[frozenset[str], ...] = ()  # the names as the question runs them together: "Bill Cosby"
    role: str = ""  # a person asked about by a name's role: "executive" of "Titan's chief executive"

    @property
    def dated(self) -> bool:
        """A date is asked for, not a condition: "When did ...?", "What year ...?", "When is the deadline for
        ...?" (a particular thing: "the", a name); "When do comb jellies excrete ink?" asks in what circumstances."""
        return not re.match(r"^\W*(?i:when\s+(?:do|does|is|are|can|should|would|might))\s+(?!the\b|[A-Z])",
                            self.question)

    @property
    def typed(self) -> bool:
        return self.kind not in ("thing", "statement")


# "How did the thieves get in?", "How will the scheme work?": a method or means, not a number ("how many",
# "how long") nor a reason ("how come").
_MEANS_RE = re.compile(r"^\W*how\b(?!\s+(?:many|much|long|old|far|often|big|large|tall|high|fast|soon|come)\b)",
                       re.IGNORECASE)


def asks_means(question: str) -> bool:
    """The question asks how something is or was done: its answer is often the steps of several sentences."""
    return bool(_MEANS_RE.match(question))


# "How did Stan Lee change superhero comics?": the verb after the auxiliary and a named subject.
_MEANS_VERB_RE = re.compile(r"^\W*[Hh]ow\s+(?:did|does|do|has|have|had|will|would|could|can|is|was|are|were)\s+"
                            r"(?:the\s+)?(?:[A-Z][\w'’&.-]*\s+){1,5}(?:(?:not|also|now|first)\s+)?([a-z]{3,})\b"
                            r"(?:\s+to\s+([a-z]{3,})\b)?")


def means_verb(question: str) -> str:
    """The verb a how-question asks the means of, when its subject is a name ("change" of "How did Stan
    Lee change superhero comics?"), else ""."""
    m = _MEANS_VERB_RE.match(question)
    verb = (m.group(2) or m.group(1)) if m else ""  # "plan to replace": replace
    return "" if verb in _LIGHT_VERBS or verb in ("get", "gets", "got", "been", "being") else verb


def means_object(question: str) -> frozenset[str]:
    """The content words after a how-question's verb (means_verb), names aside: what it is done to
    ("superhero", "comics" of "How did Stan Lee change superhero comics?")."""
    verb = means_verb(question)
    m = re.search(rf"\b{re.escape(verb)}\b(.*)$", question) if verb else None
    return frozenset(w for w in _content_words(m.group(1)) if w not in _names(question)) if m else frozenset()


# "How many flights did Lufthansa have to cancel ...?": the verb of what is counted, after the auxiliary
# and the subject.
_COUNT_VERB_RE = re.compile(
    r"^\W*[Hh]ow\s+(?:many|much)\s+(?:[\w'’.-]+\s+){0,6}?(?:(?:did|does|do|has|have|had|will|would|could|can)\s+"
    r"(?:the\s+)?(?:[A-Z][\w'’&.-]*\s+){1,5}(?:(?:have|has|had|need|needs|needed|plan|plans|planned|want|wants|"
    r"wanted|manage|managed|try|tried)\s+to\s+|not\s+|also\s+)?|(?:were|was|are|is|will be|have been|has been|"
    r"had been)\s+(?:not\s+|also\s+)?)([a-z]{3,})\b")


def counted_verb(question: str) -> str:
    """The verb a how-many or how-much question counts the doing of ("cancel" of "How many flights did
    Lufthansa have to cancel?"), or "" when it is light or not found. A count of flights delayed, beside,
    answers another question."""
    m = _COUNT_VERB_RE.match(question)
    verb = m.group(1) if m else ""
    return "" if verb in _LIGHT_VERBS or verb in _NO_DEED else verb


def states_verb(verb: str, sentence: str, objects: frozenset[str] = frozenset()) -> bool:
    """The sentence states the verb in any of its forms ("changed", "changing", "change"), and a word of
    what it is done to, when `objects` are given ("to change ... the comics industry", not "ambitions to
    replace Mr Blair" under "How do the Liberal Democrats plan to replace the council tax?")."""
    words = _words_of(sentence)
    return bool(verb) and _stem_in(verb, words) and (not objects or _mentions(objects, words))


# "Titan's chief executive", "Chelsea's manager": a person the question asks about by a name's role; a
# sentence about the name alone (the company's fine) is not about them.
_OWNED_ROLE_RE = re.compile(r"\b[A-Z][\w.&-]*(?:\s+[A-Z][\w.&-]*)*['’]s?\s+(?:former\s+|new\s+|then\s+)?(?:chief\s+)?"
                            r"(?P<role>executive|boss|chairman|chairwoman|president|founder|owner|manager|coach|"
                            r"lawyer|spokesman|spokeswoman|wife|husband|director|captain)\b")
_SOURCE_CLAUSE_RE = re.compile(r",?\s*\baccording to\s+[^,?.;]+,?", re.IGNORECASE)


def asked(question: str) -> Asked:
    """The kind and subject of a question."""
    # "..., according to Email Systems?": the source named is not what is asked about
    subject = _SOURCE_CLAUSE_RE.sub("", question).strip()
    kind = next((k for k, r in _KIND_RES if r.search(subject)), "thing")
    if _STATEMENT_RE.match(subject):
        kind = "statement"
    low = subject.lower()
    which = _NAME_OF_RE.sub("Which ", subject)  # "What is the name of the woman ...?" asks "Which woman ...?"
    words = [w for w in re.findall(r"[^\W_]+", low)]
    nouns = frozenset(w for w in words if w in _MONEY_NOUNS)
    how_much = bool(re.match(r"^\W*(?:by\s+)?how much\b", low))
    if (how_much and (nouns or any(w in _MONEY_WORDS for w in words))) or (
            # "How many export licences for arms sales ...?" counts licences, whatever money noun follows
            nouns and which == subject and ((kind == "number" and not re.match(r"^\W*how many\b", low))
                                            or (kind == "thing" and (re.match(
                r"^\W*what\s+(?:is|was|were|are|will be|would be)\b", low) or re.match(
                # "What transfer fee ...?", not "What might offering bonuses help reduce?" (the noun in its frame)
                rf"^\W*(?:what|which)\s+(?!(?:{_AUXILIARIES}|do|does|did)\b)(?:(?![\w-]+ing\b)[\w-]+\s+){{0,2}}?"
                rf"(?:{'|'.join(sorted(nouns))})\b", low))))):
        kind = "amount"
    elif how_much:
        kind = "number"
    elif kind == "thing" and _WHICH_PERSON_RE.match(which) and not asks_for_list(which):
        kind = "person"  # "Which actor will play ...?", "Which Google executive responded ...?"
    elif kind == "thing" and _WHICH_NAME_RE.match(which):
        kind = "name"
    elif kind == "thing" and asks_rate(subject):
        kind = "number"
    names = frozenset(n for n in _names(subject) if n not in ARCHIVE_WORDS and n not in _CURRENCIES)
    others = frozenset(w for w in _content_words(subject)
                       if w not in names and w not in _COUNT_FRAME and w not in _LIGHT_VERBS and not w.isdigit())
    if kind == "amount":  # what the amount is ("net profit"); else what it is of: a word of the money verb's
        # family, or any other word of the question
        verbs = frozenset().union(*(_FAMILIES[w] for w in words if w in _FAMILIES and w not in _MONEY_NOUNS))
        if re.search(r"\b(?:pay|paid|pays|paying)\b(?:\s+\w+){0,2}\s+(?:for|to)\b", low):
            verbs |= _COST_FAMILY  # "pay for Guidant", "pay to settle": a price, not a wage
        if {"money", "profit", "profits"} & set(words) and {"make", "makes", "made"} & set(words):
            verbs |= _INCOME_FAMILY
        if "money" in words and {"give", "gives", "gave", "given"} & set(words):
            verbs |= _GIFT_FAMILY  # "How much money did Sir Paul Sykes give UKIP?": a gift, not what a campaign cost
        measure = nouns or verbs or frozenset(w for w in others if w not in _MONEY_WORDS)
    elif kind == "number":  # a count of what the question names: any of its other words
        measure = others
    else:
        measure = frozenset()
    owned = _OWNED_ROLE_RE.search(subject)
    return Asked(kind, names, measure - ({owned.group("role").lower()} if owned else set()), question,
                 name_groups(subject, names), owned.group("role").lower() if owned else "")


def name_groups(question: str, names: frozenset[str]) -> tuple[frozenset[str], ...]:
    """The question's names grouped as written, consecutive capitalised words together ("Bill Cosby",
    "Industrial and Commercial Bank"): a passage names one when it has any word of it ("Cosby"). Single
    words joined by "and" are names of their own ("Blackburn and Rangers": "Glasgow Rangers" names one)."""
    groups: list[list[str]] = []
    joined, previous = False, ""
    # a bracket right after a name spells it out or abbreviates it: one name ("NM2 (New Media for a New
    # Millennium)", "the Office of Fair Trading (OFT)")
    spelt: list[str] | None = None
    # a comma or a bracket ends a name ("Air Deccan, India's first low-cost airline": two names; a colon may be
    # inside one: "Godzilla: Final Wars")
    for token in re.findall(r"[^\W_]+|&|[,;()]", question)[1:]:
        low = token.lower()
        if token in "()":
            spelt = groups[-1] if token == "(" and joined and groups else None
        elif spelt is not None and low in names:
            spelt.append(low)
            continue
        if low in names:
            if groups and joined:
                groups[-1].append(low)
            else:
                groups.append([low])
            joined = True
        else:
            if joined and token == "and":
                groups[-1].append("and")
            # "Lord of the Rings", "Department of the Environment": "of the" joins a name as "of" does
            joined = joined and (token in ("&", "and", "of", "de", "van", "von") or (token == "the" and previous == "of"))
        previous = token
    out: list[frozenset[str]] = []
    for group in groups:
        parts = " ".join(group).split(" and ")
        if len(parts) > 1 and all(len(part.split()) == 1 for part in parts):
            out.extend(frozenset([part]) for part in parts)
        else:
            out.append(frozenset(w for w in group if w != "and"))
    return tuple(out)


def has_person(sentence: str, asked_names: frozenset[str] = frozenset()) -> bool:
    """The sentence names a person the question does not: a title and a name ("Mr Shiga") or two
    capitalised words ("Toshiyuki Shiga") that are neither the question's names nor weekdays, months or
    other words that name no one."""
    known = set(asked_names)
    for m in _HONORIFIC_RE.finditer(sentence):
        if not _stem_in(m.group(1).lower(), known):
            return True
    run_end = 0
    for m in _FULL_NAME_RE.finditer(sentence):
        if m.start() < run_end:  # inside the run of an organisation's name
            continue
        if _PLACE_BEFORE_RE.search(sentence[: m.start()]):  # "a student from Hong Kong", "in New York"
            continue
        words = [m.group(1).lower(), m.group(2).split()[-1].lower()]
        if words[0] == words[1]:  # "Girls Girls Girls", "New York, New York": a title, not a person
            continue
        # "Merrill Lynch" yes; "Halvorsen Bank" and "National Hi-Tech Crime Unit" (the run's last word) no
        run = _NAME_RUN_TAIL_RE.match(sentence, m.end())
        run_end = run.end()
        if (run.group(0).split() or [words[1]])[-1].lower() in _ORGANISATION_WORDS:
            continue
        if not any(w in _NOT_NAMES or _stem_in(w, known) for w in words):
            return True
    return False


_NAME_RUN_TAIL_RE = re.compile(r"(?:\s+[A-Z][\w'’-]*)*")
# Two capitalised words after one of these name a place: "from Hong Kong", "in New York State".
_PLACE_BEFORE_RE = re.compile(r"\b(?:in|from|near|across|outside|throughout)\s+(?:the\s+)?$")
# Last words of two-word names that name an organisation or a place, not a person: a lede naming "a former
# executive at Halvorsen Bank" names no one, and the sentence after it, naming her, is quoted.
_ORGANISATION_WORDS = frozenset(
    "bank group corp corporation inc ltd plc airways airlines motors telecom securities association council "
    "department office court commission ministry party university league union agency exchange fund board "
    "services partners capital holdings international systems communications electric energy oil records "
    "pictures studios entertainment games news times post journal street house institute foundation "
    "committee federation club city united rovers county airport station square kingdom states island "
    "islands festival awards prize unit squad centre center trust society authority".split())


# A country, a firm or a team that did the asked thing: a name after "with", "by", "against", "to" ("signed
# a treaty with Russia", "bought by Microsoft", "lost to Arsenal").
_PARTY_RE = re.compile(r"\b(?:with|by|against|to)\s+(?:the\s+)?([A-Z][\w'’&-]*)")


def names_party(sentence: str, asked_names: frozenset[str] = frozenset()) -> bool:
    """The sentence names someone the question does not who may have done the asked thing without being a
    person: a name after "with", "by", "against", "to". (A capitalised first word is as often no name:
    "Blind pianist ...".)"""
    candidates = [m.group(1) for m in _PARTY_RE.finditer(sentence)]
    return any(w.lower() not in _RUN_STOP and w.lower() not in _NOT_NAMES
               and not _stem_in(w.lower(), set(asked_names)) for w in candidates)


def has_name(sentence: str, asked_names: frozenset[str] = frozenset()) -> bool:
    """The sentence names someone or somewhere the question does not: a capitalised word after its first
    (or a title before a name), that is no weekday, month or pronoun."""
    if _HONORIFIC_RE.search(sentence):
        return True
    tokens = re.findall(r"[^\W_][\w'’.-]*", sentence)
    for i, token in enumerate(tokens):
        low = token.lower().rstrip(".").removesuffix("'s").removesuffix("’s")
        if not token[:1].isupper() or low in _NOT_NAMES or _stem_in(low, set(asked_names)):
            continue
        if i > 0 or (len(tokens) > 1 and tokens[1][:1].isupper()):
            return True
    return False


# A question about saying ("Who said ...?", "Who warned ...?"): the speaker of a quote answers it.
_SAYING_RE = re.compile(r"\b(?:said|say|says|told|tell|warned|claimed|described|called|quoted|argued|insisted|"
                        r"admitted|added|stated|remarked|commented|criticised|criticized|praised|predicted)\b",
                        re.IGNORECASE)
_SAID = r"(?:said|says|added|adds|told|explained|insisted|argued|warned|claimed|admitted|continued|declared)"
# The credit of a direct quote: after it ('..." festival director Geoffrey Gilmore said.') or before its
# opening mark ('Tony Blair said: "...').
_CREDIT_AFTER_RE = re.compile(rf"([”\"])\s*,?\s*(?:[\w'’.-]+\s+){{0,7}}?{_SAID}\b[^“\"”]*$")
_CREDIT_BEFORE_RE = re.compile(rf"^[^“\"”]*\b{_SAID}\b[^“\"”]*?(?=[“\"])")


def without_quote_credit(sentence: str) -> str:
    """The sentence without the words crediting a direct quote to its speaker: a person named only as the
    source of a quote ('..." festival director Geoffrey Gilmore said') is in another role than the one a
    "who?" question asks about (who will chair the jury)."""
    if not re.search(r"[“”\"]", sentence):
        return sentence
    sentence = _CREDIT_AFTER_RE.sub(r"\1", sentence)
    return _CREDIT_BEFORE_RE.sub("", sentence)


_AUXILIARIES = "will|would|is|are|was|were|has|have|had|can|could|should|might|may|must"
# "Who will chair ...", "Who is suing ...", "Which actor will play ...": the verb of what the asked person did
# or will do, the question asking for its doer. A question asking whom someone else acted on ("Who did
# Martinez beat?", "Who do gurus control?", "Who was Tesla prejudiced against?") is often answered by a
# description ("their disciples"), and gives none.
_ASKED_VERB_RE = re.compile(
    rf"^\W*(?:who|{_ASKING_PREPOSITION}(?:which|what)\s+(?:(?!(?:the|a|an|his|her|its|their)\s)[\w'’.&-]+\s+){{0,3}}?"
    rf"(?:{_PERSON_NOUNS}))\s+(?:else\s+)?"
    rf"(?:(?:{_AUXILIARIES})\s+(?:not\s+)?(?:be\s+|been\s+|being\s+)?)?"
    r"(?P<verb>(?-i:[a-z]+))\b", re.IGNORECASE)
# Verbs too light to say what was done ("Who made the challenge ...?"), auxiliaries standing alone, and words
# that open a phrase describing the person ("the Briton from Camberley arrested ...").
_NO_DEED = frozenset(f"be been being {_AUXILIARIES.replace('|', ' ')} do does did get gets got make makes made take "
                     "takes took give gives gave go goes went come comes came else also from in at of with for on "
                     "to by who that which whose".split())


def asked_deed(question: str) -> str:
    """The verb of what a "who?" question asks the person did ("chair" of "Who will chair the jury?"), or ""
    when it is light ("made") or not found."""
    m = _ASKED_VERB_RE.match(_NAME_OF_RE.sub("Which ", question))
    verb = m.group("verb").lower() if m else ""
    return "" if verb in _NO_DEED or len(verb) < 3 else verb


def _verb_base(word: str) -> str:
    """A verb without its ending: "suing", "sued" and "sue" read alike."""
    for ending in ("ing", "ed", "es", "s", "d"):
        if word.endswith(ending) and len(word) - len(ending) >= 2:
            word = word[: -len(ending)]
            break
    return word.removesuffix("e") if len(word) > 2 else word


def states_deed(a: Asked, sentence: str, previous: str = "") -> bool:
    """For "who?": the sentence, or the one before it, states what the person asked about did, by the
    question's verb in any form ("will chair" by "chairman of the jury", "suing" by "is being sued"): a
    person it names beside something else ("founded by actor Robert Redford", "by British director Sean
    McAllister" under "Who will chair the jury?") is in another role. True when the verb is light or
    not found."""
    verb = asked_deed(a.question)
    if not verb:
        return True
    words = _words_of(f"{previous} {sentence}")
    base = _verb_base(verb)
    if base in _DEFEAT_BASES and _DEFEAT_RE.search(f"{previous} {sentence}"):
        return True  # "Who beat Young?": "Young was dispatched by fellow American Robby Ginepri"
    return _stem_in(verb, words) or any(_verb_base(w) == base for w in words) or _made_by(a.question, sentence)


# A win told from the loser's side: what "Who beat / defeated / knocked out X?" asks, in the words reports use.
_DEFEAT_BASES = frozenset({"beat", "defeat", "knock", "eliminat", "oust", "overcam", "overcom", "edg", "thrash"})
_DEFEAT_RE = re.compile(r"\b(?:(?:beaten|defeated|dispatched|knocked out|eliminated|ousted|edged out|edged|thrashed|"
                        r"overcome|outplayed|seen off)\s+by|(?:lost|losing|loses|lose|went out|going out|fell|falling)\s+to|"
                        r"(?:beat|beats|beating|defeated|defeats|defeating|knocked out|eliminated|ousted)\s+(?:him|her|them))\b",
                        re.IGNORECASE)


def _made_by(question: str, sentence: str) -> bool:
    """The sentence credits the question's object to someone by "by": "with woodcuts by Lucas Cranach"
    states who provided the woodcuts, in other words than the question's verb."""
    m = _ASKED_VERB_RE.match(question)
    objects = [w for w in _content_words(question[m.end():])] if m else []
    return any(re.search(rf"\b{re.escape(w[:max(4, len(w) - 2)])}\w*\s+by\s+(?:[a-z]+\s+)?[A-Z]", sentence)
               for w in objects if len(w) > 3)


def _describes_asked(a: Asked, sentence: str) -> bool:
    """For "Which novel ...?": the sentence speaks of the asked thing without naming it ("A novel set in
    19th century Paraguay has won ..."); the name is in a sentence after it."""
    m = _WHICH_NAME_RE.match(a.question)
    noun = m.group(0).split()[-1].lower() if m else ""
    return bool(noun) and bool(re.search(rf"(?i)^\W*(?:a|an|one|another)\s+(?:[\w-]+\s+)?{re.escape(noun)}s?\b",
                                         sentence))


def gives_kind(a: Asked, sentence: str, dates: list[DateMention] | None = None) -> bool:
    """The sentence holds an answer of the asked kind: a name for who / where, a number or an amount, a
    date, a reason's cue. A question of no particular kind: any sentence."""
    if a.kind == "thing":
        return True
    if a.kind == "amount":
        if _PRICE_ASKED_RE.search(a.question) and not _RATE_WORDS_RE.search(a.question):
            sentence = _PERCENT_RE.sub(" ", sentence)  # "shares jumped by 400%" is no price paid
        return bool(_CURRENCY_RE.search(sentence))
    if a.kind == "number":
        if re.match(r"^\W*how many\b", a.question, re.IGNORECASE):
            sentence = _MONEY_AMOUNT_RE.sub(" ", sentence)  # "sell for £339" counts nothing
        if asks_rate(a.question):
            return bool(_RATE_GIVEN_RE.search(sentence))
        return bool(_NUMBER_RE.search(sentence))
    if a.kind == "date":
        return bool(dates) or bool(_DATE_WORDS_RE.search(sentence)) or not a.dated
    if a.kind == "person":
        return has_person(sentence if _SAYING_RE.search(a.question) else without_quote_credit(sentence), a.names)
    if a.kind == "name" and _describes_asked(a, sentence):
        return False
    if a.kind in ("place", "name"):
        return has_name(sentence, a.names)
    if a.kind == "reason":
        return gives_reason_cue(sentence)
    return True


_RUN_JOINERS = frozenset({"&", "and", "of", "de", "van", "von", "der", "da"})
# Capitalised words that open a sentence or title a person: no part of a name.
_RUN_STOP = frozenset("the a an this that these those it he she they we i you his her their its our in on at "
                      "for but and or if when while as after before so yet also however meanwhile mr mrs ms miss "
                      "dr sir lord lady dame prof professor".split())


def name_runs(text: str) -> list[frozenset[str]]:
    """The names a text writes, as runs of capitalised words ("Industrial and Commercial Bank of China",
    "LMA Manager", "Mr Mars" as "mars"), lowercased: a lowercase word ("managed") names nothing."""
    runs: list[frozenset[str]] = []
    current: list[str] = []
    joined = False

    def close() -> None:
        # "Kenteris and Thanou", "Mr Mars and LMA Manager": each name joined by "and" is a run of its own too
        text = " ".join(current)
        runs.append(frozenset(w for w in current if w != "and"))
        if " and " in text:
            runs.extend(frozenset(part.split()) for part in text.split(" and ") if part)

    for token in re.findall(r"[^\W_]+|&|[,.;:!?()\"“”]|\s[-–—]\s", text):
        low = token.lower()
        if token[:1].isupper() and low not in _RUN_STOP:
            current.append(low)
            joined = False
        elif current and low in _RUN_JOINERS and not joined:
            joined = True
            if low == "and":
                current.append(low)
        else:
            if current:
                close()
            current, joined = [], False
    if current:
        close()
    return runs


def _within(words: frozenset[str], others: frozenset[str]) -> bool:
    return all(_stem_in(w, set(others)) for w in words)


# A people's adjective that does not start with its place's name: "the Scottish Executive" names Scotland.
# (Those that do, "Korean", "Brazilian", "Japanese", are read by `_stem_in`.)
_DEMONYM_PLACES = {"scottish": "scotland", "english": "england", "british": "britain", "welsh": "wales",
                   "irish": "ireland", "french": "france", "spanish": "spain", "dutch": "netherlands",
                   "danish": "denmark", "swedish": "sweden", "finnish": "finland", "polish": "poland",
                   "turkish": "turkey", "swiss": "switzerland", "greek": "greece", "chinese": "china",
                   "portuguese": "portugal", "german": "germany", "italian": "italy", "norwegian": "norway",
                   "belgian": "belgium", "ukrainian": "ukraine", "egyptian": "egypt", "thai": "thailand",
                   "filipino": "philippines", "cypriot": "cyprus", "argentine": "argentina", "american": "america",
                   "peruvian": "peru", "chilean": "chile", "icelandic": "iceland", "czech": "czech"}


def names_group(group: frozenset[str], runs: list[frozenset[str]]) -> bool:
    """A text names the question's name `group` when one of its names holds the whole group ("Football
    Manager 2005", "the US National Book Awards" for "US", "the Scottish Executive" for "Scotland") or is
    a part of it standing alone ("Mars", "Mr Cosby", "Kenteris and Thanou"): the part inside another name
    ("LMA Manager", "Bill Clinton") is another name. A people's adjective in the question names its place
    too ("the Scottish taxpayer": "Scotland")."""
    placed = frozenset(_DEMONYM_PLACES.get(w, w) for w in group)
    return any(_within(group, places := run | {_DEMONYM_PLACES[w] for w in run if w in _DEMONYM_PLACES})
               or (placed != group and _within(placed, places))
               or _within(run, group) or _acronym(run, group) for run in runs)


def _acronym(run: frozenset[str], group: frozenset[str]) -> bool:
    """"ICBC" for "Industrial and Commercial Bank": one word holding the initial of every word of a name
    of three or more (a shorter name's initials name too many other things)."""
    if len(run) != 1 or len(group) < 3:
        return False
    (word,) = run
    return len(group) <= len(word) <= len(group) + 2 and all(w[0] in word for w in group)


# Words of a why / how question that frame it rather than say what happened.
_REASON_FRAME = frozenset("why how come reason reasons cause caused causes behind prompted lead led think thinks "
                          "thought believe believes expect expects analysts experts say says".split())
# Words of a why question that say when, not what happened: "a day before the match" is not the asked effect,
# so "a day after Chelsea beat Portsmouth" gives no reason for it.
_WHEN_WORDS = frozenset("day days week weeks month months year years quarter quarters season seasons time times "
                        "last first next previous before earlier later ago today yesterday tomorrow".split())


# Going to court is suing, a lawsuit, legal action: "took legal action, saying ..." for "Why did X take Y to court?"
_LEGAL_FAMILY = frozenset("court courts sue sues sued suing lawsuit lawsuits legal action case trial".split())
# Leaving a post: "Reports suggest he left because ..." says why he resigned.
# ("quit" and "depart" only as the question's own words: they would read "quite" and "department")
_DEPARTURE_FAMILY = frozenset("resign resigns resigned resigning resignation quits quitting left leave leaves "
                              "leaving".split())
_WHEN_PHRASE_RE = re.compile(r"\b(?:before|ahead of|during|until)\b[^,;?]*", re.IGNORECASE)
# "Why did the arrival take an hour, disrupting flights?": a participle after a comma says what the asked
# event led to or went with, not the event ("delayed following the arrival" is no reason for the hour).
_CONSEQUENCE_CLAUSE_RE = re.compile(r",\s+(?:[a-z]+ly\s+)?[a-z]{3,}ing\b[^,;?]*")
# Words of a why question that hedge or qualify what happened rather than say it ("was expected to pull
# out", "rather than", "nearly an hour"): one of them shared with a sentence ties no reason to the event.
_QUALIFYING_WORDS = frozenset("out off rather instead nearly almost originally initially expected likely "
                              "unlikely should must still already just only even ever never really actually "
                              "recently currently eventually finally again".split())


_TURN_RE = re.compile(r"^\W*(?:however|but|meanwhile|elsewhere|separately|in other news|also|in addition|"
                      r"on the other hand|despite)\b", re.IGNORECASE)
# "Why did X do Y despite Z?": Z is what Y was done against, not the asked event; the reason often turns
# from it ("Umaga admitted the fear of injury weighed on his mind. But ... the cause easily won him over.").
_CONCESSION_RE = re.compile(r"\b(?:despite|in spite of|although|even though|regardless of)\b[^,;?]*", re.IGNORECASE)


def reason_cues(sentence: str) -> list[re.Match[str]]:
    """The sentence's reason cues (CAUSE_RE), without those that are words of a name: "Fear" of the
    programme "Fear Factor", "Pressure" of a band's name (capitalised within the sentence, not after a
    quote mark or a dash)."""
    return [m for m in CAUSE_RE.finditer(sentence)
            if not (m.group(0)[:1].isupper() and m.start() > 0
                    and not _OPENS_CLAUSE_RE.search(sentence[:m.start()]))
            and not (_REASON_WORD_RE.fullmatch(m.group(0)) and _NO_REASON_BEFORE_RE.search(sentence[:m.start()]))
            and not _no_cause_here(m, sentence)]


def _no_cause_here(m: re.Match[str], sentence: str) -> bool:
    """A cue word used otherwise than for a cause: "is due to retire in the summer" (a plan), "tsunami-hit"
    (a description), "a vital fuel", "a renewed drive" (nouns), "the same libraries as the students", "as
    seriously hurt as", "used as the main source" (a comparison, a role), a cue inside an apposition
    describing a thing ("butane gas, a vital fuel for cooking, has risen")."""
    cue, before, after = m.group(0).lower(), sentence[:m.start()], sentence[m.end():]
    if re.search(r",\s+(?:a|an)\s+[^,;:\"“”]*$", before) and re.match(r"[^,;:\"“”]*,", after):
        return True  # inside an apposition describing a thing: "butane gas, a vital fuel for cooking, has risen"
    if cue == "due to":
        return bool(re.search(r"\b(?:is|are|was|were|be|been|being)\s+(?:[a-z]+ly\s+|now\s+|still\s+)?$", before)) and bool(
            _SCHEDULED_RE.match(after))
    if cue == "hit":
        return before.endswith("-")
    if cue in ("fuel", "drive"):
        return not re.search(r"\b(?:to|will|would|could|may|might|can|should|did|does|do|also|only|further|help)\s+"
                             r"(?:[a-z]+\s+){0,2}$", before, re.IGNORECASE)
    if cue == "as ":
        return bool(_AS_COMPARED_RE.search(before)) or not _CLAUSE_AFTER_AS_RE.match(after)
    if cue in ("why", "explained"):
        # "Henry explained why he paused": an explanation announced, given elsewhere; not "that is why"
        return not re.search(r"\b(?:that|this|which|it)(?:'s|’s|\s+(?:is|was|being))\s+$", before, re.IGNORECASE) and (
            cue == "explained" and bool(re.match(r"\s+(?:why|how)\b", after))
            or cue == "why" and bool(re.search(r"\b(?:explain(?:ed|s|ing)?|ask(?:ed|s|ing)?|wonder(?:ed|s|ing)?|"
                                                r"know|knew|understand|understood|see|saw|clear|unclear|"
                                                r"question(?:ed|s)?|said|say|says|told|tell|reveal(?:ed|s)?)\s+$",
                                                before, re.IGNORECASE)))
    return False


# "as" gives a cause only before a clause: a pronoun, or words up to the clause's end holding a verb ("as
# prices rose", "as the police said they would help"); "star Jessica Lange as the domineering mother" names a role.
_VERB_FORMS = (r"(?:is|are|was|were|be|been|being|has|have|had|will|would|can|could|may|might|must|should|shall|"
               r"does|did|do|[a-z]+ed|[a-z]+n't|rose|fell|grew|began|came|went|took|made|left|said|saw|found|got|"
               r"gave|kept|lost|won|ran|held|brought|thought|became|sought|struck|spent|sold|paid|cut|hit|put|"
               r"set|shut|quit|slid|sank|shrank|drove|fought|met|told|felt|led|meant|stood|rise|rises|fall|falls|"
               r"grow|grows|slow|slows|continue|continues|increase|increases|decline|declines|struggle|struggles|"
               r"remain|remains|seek|seeks|try|tries|look|looks|face|faces|expect|expects|need|needs|want|wants|"
               r"begin|begins|come|comes|go|goes|get|gets|take|takes|make|makes|say|says|see|sees|know|knows)")
_CLAUSE_AFTER_AS_RE = re.compile(r"(?:it|they|he|she|we|i|you|there)\b|[^,;:.!?\"“”()–—]*?\b" + _VERB_FORMS + r"\b",
                                 re.IGNORECASE)


# After "is due to": a plan, when a verb with its object or its time follows ("is due to retire in the summer",
# "is due to open this weekend"); a cause otherwise ("was due to bad weather", "due to injury").
_SCHEDULED_RE = re.compile(r"\s+(?!the\b|a\b|an\b|his\b|her\b|its\b|their\b|this\b|that\b)[a-z]+\s+(?:the|a|an|in|on|at|to|"
                           r"his|her|their|its|next|this|later|from|with|for|by|up|out|back|into|over|off|\d)\b"
                           r"|\s+(?:be|have|take|make|meet|join|play|face|open|close|start|begin|retire|return|appear|"
                           r"announce|publish|launch|hold|give|visit|sign|leave|resume|finish|run|stand|step|go|come|"
                           r"arrive|report|release|attend|fly|travel|speak|decide|vote|rule|hear|receive|complete|"
                           r"expire|sit|perform|marry|testify|address|unveil|deliver)\b")
# "as" comparing or naming a role: "the same libraries as", "as seriously hurt as", "used as the main source".
_AS_COMPARED_RE = re.compile(r"(?:\bsame\s+(?:[\w'’-]+\s+){0,3}|\bas\s+[\w'’-]+\s+|\b(?:used|described|treated|"
                             r"served|serves|serve|acted|acts|act|worked|works|employed|appointed|named|chosen|"
                             r"elected|hired|listed|ranked|billed|branded|dubbed|cast|joined|returned|returns|"
                             r"continue|continues|continued|remain|remains|remained|stay|stays|stayed)\s+)$",
                             re.IGNORECASE)


# A reason said not to be given: "did not give a reason for the split", "gave no reason", "declined to say why",
# "was unavailable to comment on why", "it is unclear why": the cue word is there, the reason is not.
_REASON_WORD_RE = re.compile(r"reasons?|why|explained", re.IGNORECASE)
_NO_REASON_BEFORE_RE = re.compile(r"(?:\b(?:no|not|never|without|declined|refused|unclear|unknown|unavailable|"
                                  r"unable)|n[’']t)(?:\s+[\w'’]+){0,3}\s+$", re.IGNORECASE)


_OPENS_CLAUSE_RE = re.compile(r"(?:^|[\"“‘'(\[:–—-])\s*$")  # a capital after these opens a quote or a clause


def gives_reason_cue(sentence: str) -> bool:
    """The sentence holds a reason's cue (reason_cues)."""
    return bool(reason_cues(sentence))


def gives_reason_for(a: Asked, sentence: str, previous: str | None = "") -> bool:
    """The sentence gives a reason (a cue: "hit", "because", "after") beside a word of what the question
    asks the reason for, not a name, in it or in the sentence before when it goes on from that one ("has
    hit sales" for "Why did Nestle's sales fall?"; "... remittances grew 24%. Better records ... are the
    reasons"): a cause tied to the asked effect, not to another ("However, profit margins were helped by
    ...").
    `previous` None: only a word of the asked event tied within the sentence counts ("being sued ... by a
    viewer disgusted by ...")."""
    if not gives_reason_cue(sentence):
        return False
    asked_event = _asked_event_text(a)
    conceded = " ".join(m.group(0) for m in _CONCESSION_RE.finditer(asked_event))
    asked_event = _CONCESSION_RE.sub(" ", asked_event)
    effect = _event_words(a, asked_event)
    if not effect:
        return False
    # buying a company is the deal, the takeover, the bid: "the deal is aimed at ..." for "Why is X buying Y?"
    effect = effect.union(*(family for family in (_COST_FAMILY, _LEGAL_FAMILY, _DEPARTURE_FAMILY) for w in effect
                            if w in family))
    # alone: the effect's own words, not the question's subject after a cue ("help to embarrass ... the IAAF")
    # the question's doer (its first name), not whom the act was done to ("... as I've helped Dominik" under
    # "Why did Peter Wessels retire from his match against Dominik Hrbaty?")
    doer = (a.groups[0] if a.groups else a.names) if previous is not None else frozenset()
    if _effect_beside_cue(effect, doer, sentence, a):
        return True
    if previous is None or not previous or not _points_back(sentence, effect, a.names):
        return False
    if not _TURN_RE.match(sentence):
        return _mentions(effect, _words_of(previous))
    # a reason turning from what the question concedes ("... despite his fear of injury?": "... the fear of
    # injury weighed on his mind. But the cause won him over.")
    against = _event_words(a, conceded) - {"despite", "spite", "although", "though", "regardless"}
    return bool(against) and _mentions(against, _words_of(previous))


# "Why did Lena Vark miss ...?": the person whose act is asked about, named first after the question's frame.
_REASON_SUBJECT_RE = re.compile(r"^\W*[Ww]hy\s+(?:did|does|do|has|have|had|is|was|were|are|will|would)\s+(?:[a-z][\w'’-]*\s+){0,3}?"
                                r"((?:[A-Z][\w'’-]+\s+){0,3}[A-Z][\w'’-]+)(?!['’]s)\s+[a-z]")
_FIRST_PERSON_RE = re.compile(r"\b(?:I|I'm|I’m|I've|I’ve|I'd|I’d|I'll|I’ll|my|me|we|we're|we’re|our|us)\b")
# a quote, or the end of one opened in an earlier sentence (a closing mark: not before a letter)
_QUOTED_RE = re.compile(r"[\"“”]([^\"“”]{3,})(?:[\"“”]|$)|^([^\"“”]{3,})[\"”](?!\w)")


def reason_subject(question: str) -> str:
    """For "Why did <person> <verb> ...?", the person's last name ("Vark"); "" for other questions."""
    m = _REASON_SUBJECT_RE.match(question)
    if not m or asked(question).kind != "reason" or m.group(1).endswith(("'s", "’s")):
        return ""
    return m.group(1).split()[-1]


# "Why did the Tories object to ...?": an act of saying or opposing, whose reason is what its doers said.
_STANCE_QUESTION_RE = re.compile(
    r"^\W*[Ww]hy\s+(?:did|does|do|has|have|had|is|was|were|are)\s+(?:the\s+)?((?:[A-Z][\w'’-]+\s+){0,2}[A-Z][\w'’-]+)\s+"
    r"(object|criticis|criticiz|attack|complain|protest|oppose|condemn|reject|blast|slam|accuse|boycott|walk(?:ed)? out|"
    r"call(?:ed)? for|demand|question|challenge|dispute)")
_CLAIM_VERBS = r"(?:said|say|says|claimed|claim|claims|argued|argue|argues|insisted|insist|complained|accused|warned|believe|believed)"


def claim_of_asked_party(question: str, sentence: str) -> bool:
    """For "Why did X object to / criticise / oppose ...?": the sentence reports what X said ("The Tories said
    she broke a convention that British political figures do not act in a partisan way"). Their stated
    objection is the reason for it, with no cue word."""
    m = _STANCE_QUESTION_RE.match(question)
    if not m:
        return False
    party = re.escape(m.group(1).split()[-1])
    # "the federation said" of the Police Federation; "The federation has said it strongly opposes ..." tells
    # the stance asked about, not its grounds
    stance = re.escape(m.group(2).split()[0][:5])
    return (re.search(rf"\b(?i:{party})\s+(?:have\s+|has\s+|had\s+|also\s+)?{_CLAIM_VERBS}\b", sentence) is not None
            and re.search(rf"\b{stance}", sentence, re.IGNORECASE) is None)


def asks_stated_reason(question: str) -> bool:
    """"Why did <person> say / claim / want ...?": the act asked about is a statement or a stance, whose
    reason is what the person went on to say, with or without a cue ("Ozzy Osbourne said he had had enough
    of the work involved in making the series" under "Why did Ozzy Osbourne say his family would make no
    more episodes?")."""
    m = _REASON_SUBJECT_RE.match(question)
    if not m or not reason_subject(question):
        return False
    verb = re.match(r"[\w'’-]+", question[m.end() - 1:])
    return bool(verb) and _STANCE_VERB_RE.fullmatch(verb.group(0).lower()) is not None


_STANCE_VERB_RE = re.compile(r"(?:say|says|said|claim|claims|claimed|insist|insists|insisted|argue|argues|argued|warn|"
                             r"warns|warned|believe|believes|believed|think|thinks|thought|want|wants|wanted|hope|"
                             r"hopes|hoped|feel|feels|felt|fear|fears|feared|predict|predicts|predicted)")
_STATED = (r"(?:said|says|added|adds|told|explained|insisted|argued|warned|claimed|admitted|believes|believed|thinks|"
           r"thought|feels|felt|fears|feared)")


def own_account(surname: str, sentence: str, paragraph: str, stated: bool = False) -> bool:
    """The sentence quotes the asked person speaking of themselves ("'I woke up with a fever and I'm not
    well enough to play,' Vark said."): a first-person quote credited to them by name, or by "he" / "she"
    in a paragraph naming them. Said beside the asked event, it is their own reason for it, cue or none.
    `stated` (asks_stated_reason): what they said of the statement asked about, quoted or reported
    ("Osbourne said he had had enough ...", "'I didn't like having cameras around,' the singer told
    reporters")."""
    quoted = " ".join(g for m in _QUOTED_RE.finditer(sentence) for g in m.groups() if g)
    if not stated and (not quoted or not _FIRST_PERSON_RE.search(quoted)):
        return False
    outside = _QUOTED_RE.sub(" ", sentence)
    name = re.escape(surname)
    said = _STATED if stated else _SAID
    credit = rf"\b(?:{name}|he|she)\s+(?:has\s+|had\s+|also\s+)?{said}\b|\b{said}\s+(?:{name}|he|she)\b"
    if stated and quoted:  # a quote credited to a description of the person: "the Black Sabbath singer told"
        credit += rf"|\bthe\s+(?:[\w'’-]+\s+){{0,3}}?{_SAID}\b"
    m = re.search(credit, outside, re.IGNORECASE)
    if not m:
        return False
    if surname.lower() in m.group(0).lower():
        return True
    # "he added" after a quote speaking of a third person ("I think if he got it this year he would want to
    # stay") is someone else speaking of the asked person, not their own account
    return surname in paragraph and not (quoted and _THIRD_PERSON_RE.search(quoted))


_THIRD_PERSON_RE = re.compile(r"\b(?:he|him|his|she|her|he's|she's|he’s|she’s)\b", re.IGNORECASE)


def states_event(a: Asked, sentence: str) -> bool:
    """The sentence names what a why question asks about: a word of its event ("missed" for "miss"), a third
    of a long one's ("Fiat underperformed the market" does not state "Why did Fiat decide against floating
    Ferrari on the stock market ...?"), and not in another year than the question's ("could be floated in
    either 2006 or 2007" is not "floating in 2002")."""
    effect = _event_words(a, _asked_event_text(a))
    years, stated = set(_YEAR_IN_RE.findall(a.question)), set(_YEAR_IN_RE.findall(sentence))
    return (bool(effect) and _count_mentioned(effect, sentence) >= max(1, round(len(effect) * _EVENT_SHARE))
            and not (years and stated and not years & stated))


_EVENT_SHARE = 1 / 3  # of a why question's event words, the share a sentence names to state that event


def _asked_event_text(a: Asked) -> str:
    """A why question without what says when ("a day before the Barcelona match") or what the event led to
    (", disrupting Lufthansa flights")."""
    return _RATE_RE.sub(" ", _CONSEQUENCE_CLAUSE_RE.sub(" ", _WHEN_PHRASE_RE.sub(" ", a.question)))


# A price per unit ("at just over 300p a share"): the terms of the asked act, not a word of it ("Shares in
# Manchester United were up" tells nothing of why a buyout at 300p a share was dropped).
_RATE_RE = re.compile(r"\b(?:at\s+)?(?:(?:just\s+)?(?:over|under|about|around|nearly|almost|below|above)\s+)?[£$€]?\d[\d.,]*"
                      r"\s*(?:p|pence|cents?|bn|m|%)?\s+(?:a|per)\s+(?:share|barrel|head|unit|copy|ticket|tonne|ton|gallon|litre)\b",
                      re.IGNORECASE)


def _event_words(a: Asked, text: str) -> frozenset[str]:
    """The content words of (part of) a why question that say what happened: not its names, its frame
    ("why", "reason"), light verbs, words saying when, qualifying words ("expected", "rather") or a role
    before a name ("leader" of "Scottish Conservative leader David McLetchie", "firm" of "the law firm Tods
    Murray", all of "double world champion"), or a post after "as" ("director" of "resign as director of"): a
    sentence naming another leader ties no reason to the event."""
    roles = {m.group(1).lower() for m in (*_ROLE_BEFORE_NAME_RE.finditer(a.question), *_ROLE_AFTER_AS_RE.finditer(a.question))}
    # "quit the company", "two games into the season": a setting named with "the", not what happened ("choose
    # the one-on-one game Painkiller": the game is what was chosen)
    settings = {m.group(1).lower() for m in re.finditer(r"\b(?:the|its|his|her|their)\s+(\w+)", a.question)} & _SETTING_NOUNS
    if described := _DESCRIBED_DOER_RE.match(a.question):  # "Why is double world champion Dov Harel ...?"
        roles |= {w.lower() for w in re.findall(r"[^\W_]+", described.group(1))}
    roles |= {m.group(1) for m in _NAME_PARTICLE_RE.finditer(a.question)}  # "van" of "Ruud van Nistelrooy"
    if owned_doer := _OWNED_DOER_RE.match(a.question):  # "board" of "Why did Manchester United's board decide ...?"
        roles.add(owned_doer.group(1).lower())
    return frozenset(w for w in _content_words(text) if w not in a.names and w not in _REASON_FRAME
                     and w not in _LIGHT_VERBS and w not in _WHEN_WORDS and w not in _QUALIFYING_WORDS
                     and w not in roles and not w.isdigit() and w not in _NUMBER_WORDS and w not in settings)


# The doer of a why question described before their name: every word of the description is theirs ("double world
# champion" of "Why is double world champion Dov Harel retiring?"), none the event's.
_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve first second third fourth "
                          "fifth new".split())  # "just two games into the season", "a new deal": no event
# Nouns naming who or where, not what happened: "the company" of "Why did Stanley Gold quit the company?"
# (`_event_words` leaves them out only after "the", "its", ...)
_SETTING_NOUNS = frozenset("company companies firm firms group groups country countries government people market "
                           "markets business industry team club side squad season game games match".split())
_DESCRIBED_DOER_RE = re.compile(rf"^\W*(?i:why\s+(?:is|was|are|were|did|does|do|has|have|had|will|would))\s+"
                                rf"((?:[\w'’-]+\s+){{0,4}}?(?:{_PERSON_NOUNS}))\s+(?=[A-Z])")
# The doer of a why question as a body or a person of a named one: "Manchester United's board", "Labour's
# leader" (not "Nestle's sales", which fall or rise: the event itself).
_OWNED_DOER_RE = re.compile(rf"^\W*(?i:why\s+(?:is|was|are|were|did|does|do|has|have|had|will|would))\s+(?:the\s+)?"
                            rf"(?:[A-Z][\w'’.&-]*\s+){{0,3}}?[A-Z][\w'’.&-]*['’]s\s+(?:[a-z][\w-]*\s+)?"
                            rf"(board|committee|council|government|union|panel|jury|regulator|management|shareholders|"
                            rf"directors|{_PERSON_NOUNS})\s+(?=[a-z])")
# A lowercase word inside a name: "van" of "Ruud van Nistelrooy", "de" of "Luis de la Fuente".
_NAME_PARTICLE_RE = re.compile(r"\b[A-Z][\w'’-]*\s+(van|von|de|der|den|da|di|du|del|della|la|le|al|bin|dos|das)\s+(?=[A-Z])")
# A post held, after "as": "resign as director of ...", "resign as a partner at ...".
_ROLE_AFTER_AS_RE = re.compile(rf"\bas\s+(?:an?\s+|the\s+|its\s+|his\s+|her\s+)?(?:[\w-]+\s+)?({_PERSON_NOUNS}|partner)\b",
                               re.IGNORECASE)
_ROLE_BEFORE_NAME_RE = re.compile(rf"\b({_PERSON_NOUNS}|firm|company|group|club|team|band|brewer|retailer|airline|"
                                  r"carrier|maker|carmaker|giant|rival)\s+(?=[A-Z])")


def _points_back(sentence: str, effect: frozenset[str] = frozenset(), names: frozenset[str] = frozenset()) -> bool:
    """The sentence's cue may give the cause of what the sentence before it says: a cue whose effect comes
    before it or on either side ("Better records ... are the reasons", "This was due to ..."), or one whose
    cause comes first with a pronoun after it ("... has boosted it"); not "the boom has allowed the
    government to collect $950m", the cause of something else, nor a cue whose effect the sentence states
    itself of someone the question does not name (`names`: "Ferguson was unhappy with Van Nistelrooy for not
    revealing ...") or that restates the asked event (`effect`)."""
    for m in reason_cues(sentence):
        forward = _FORWARD_CUE_RE.match(sentence, m.start())
        if not forward and _restates(m.group(0), effect):
            continue
        if not forward and not _OPEN_CUE_RE.match(sentence, m.start()) and _own_effect(sentence[:m.start()], names):
            continue
        if not forward or re.match(
                r"\s+(?:it|them|this|that(?!\s+\w)|these|those|him|her|us|me)\b", sentence[m.end():], re.IGNORECASE):
            return True
    return False


_POINTER_RE = re.compile(r"^\W*(?:it|this|that|these|those|he|she|they|we|i|the (?:move|decision|change|delay|fall|rise|"
                         r"drop|cut|cuts|deal|plan|problem|result))\b", re.IGNORECASE)
_OWN_EFFECT_WORDS = 4  # content words before a cue that make it the cause of what its own sentence says


def _own_effect(before: str, names: frozenset[str]) -> bool:
    """The words before a cue whose effect comes first state an effect of their own, of someone the question
    does not name ("Ferguson was unhappy with Van Nistelrooy for ..."), not one left to the sentence before
    ("It was due to ...", "He quit because", "The league took action against the pair for ...")."""
    return (not _POINTER_RE.match(before)
            and len(_content_words(before) - _SAYING_WORDS - _LIGHT_VERBS) >= _OWN_EFFECT_WORDS
            and any(not run <= names for run in name_runs(before)))


_SAYING_WORDS = frozenset("said says say told added explained according".split())


def _effect_beside_cue(effect: frozenset[str], names: frozenset[str], sentence: str, a: Asked | None = None) -> bool:
    """A word of the asked effect stands on the effect's side of one of the sentence's cues: after a cue
    whose cause comes first ("has hit sales", or the question's subject: "a halo effect on the sales of
    the Mac"), before one whose cause comes after ("sales fell because ...", "sales, hit by ..."), either
    side of an open one ("blamed the weather for poor sales")."""
    subject = a.names if a is not None else names
    for m in reason_cues(sentence):
        before, after = sentence[:m.start()], sentence[m.end():]
        if a is not None and _asks_with_cue(a.question, m, sentence):
            continue  # "by transferring its operations" is the question's own means, no answer to it
        if not _FORWARD_CUE_RE.match(sentence, m.start()) and _restates(m.group(0), effect):
            continue  # "which have failed to receive ballot papers" restates "Why did they fail to deliver?"
        if _FORWARD_CUE_RE.match(sentence, m.start()) and re.search(r"\bto\s+$", before):
            side = before  # a purpose: "concentrated it in the second year to allow business more time"
        elif _FORWARD_CUE_RE.match(sentence, m.start()):
            # a name written as one: "cross country" is not the "Great Edinburgh International Cross Country"
            if names & _words_of(" ".join(_CAPITALISED_RE.findall(after))):
                return True
            side = after
        elif _OPEN_CUE_RE.match(sentence, m.start()):
            side = sentence
        else:
            # a cue after a relative clause gives the cause of that clause's verb: "Parmalat, the food group which
            # went bust after an accounting scandal", "Steve Wigley, who has been relieved of his duties after ...";
            # of the main clause when the relative one closed before it: "Johnson, who has not competed indoors
            # for five years, leapt to a life-time best in her last jump, after four fouls"
            parts = _RELATIVE_CLAUSE_RE.split(before)
            side = parts[-1] if len(parts) == 1 or "," not in parts[-1] else f"{parts[-2]} {parts[-1].split(',', 1)[1]}"
            if _event_as_cause(m, effect, subject, sentence):
                continue
        if _mentions(effect, _words_of(side)):
            return True
    return False


_CAPITALISED_RE = re.compile(r"\b[A-Z][\w’'-]*")


def _event_as_cause(m: re.Match[str], effect: frozenset[str], subject: frozenset[str], sentence: str) -> bool:
    """The asked event, by its doer and more of its words, follows a cue whose cause comes after it: it is the
    cause here, of something else ("The deal was hammered out after Japan finally signed up to it" under "Why
    did Japan sign up to the deal?")."""
    before, after = sentence[:m.start()], sentence[m.end():]
    return bool(subject & _words_of(after)) and _count_mentioned(effect, after) > _count_mentioned(effect, before)


_RELATIVE_CLAUSE_RE = re.compile(r",\s+(?:[\w'’-]+\s+){0,6}?(?:which|who|whom|whose)\s+")


def _asks_with_cue(question: str, m: re.Match[str], sentence: str) -> bool:
    """The cue and the word after it are the question's own words ("by transferring" of "Why is Fujitsu
    quitting the market by transferring its operations to Sharp?")."""
    following = re.match(r"\s*([\w'’-]+)", sentence[m.end():])
    phrase = f"{m.group(0).strip()} {following.group(1)}" if following else m.group(0).strip()
    return len(phrase.split()) > 1 and re.search(rf"(?i)\b{re.escape(phrase)}\b", question) is not None


def _restates(cue: str, effect: frozenset[str]) -> bool:
    """The cue is a word of the asked event ("failed to" of "Why did Royal Mail fail to deliver ...?"): it says
    the event happened, not why. (A cue with its cause before it, "bad weather has hit sales", still gives the
    cause of "Why were sales hit?")"""
    bases = {_verb_base(w) for w in effect}
    return any(_verb_base(w) in bases for w in re.findall(r"[a-z]+", cue.lower()) if len(w) > 3)


def _count_mentioned(words: frozenset[str], text: str) -> int:
    found = _words_of(text)
    return sum(1 for w in words if _mentions(frozenset([w]), found))


_COUNT_FRAME = ARCHIVE_WORDS | frozenset("many much long old far often big large tall high fast number total "
                                         "percentage proportion share rate".split())
# Of a question's names, this share may be missing from a passage that answers it ("TV" where the
# paragraph says "television"); one name of one or two may not.
_NAMES_MISSING_SHARE = 1 / 3


def about_subject(a: Asked, sentence: str, context: str, title: str = "", lede: str = "", article: str = "") -> bool:
    """The sentence is about what was asked: the names of the question are in it, the sentence before it,
    its paragraph (`context`) or the article's title (all of one or two, all but a third of more), or, for a
    sentence of the lede, which tells the event the whole article is about, when the question's first name
    is there, its other names anywhere in the `article` ("By how much will maternity pay rise under the
    proposals Patricia Hewitt announced on GMTV?": GMTV is named a paragraph after the figure; a later
    paragraph may tell another event: "Last June Grewcock was banned for two months"); and
    an amount is of the asked measure or a synonym ("gap" for "deficit") (in the sentence or the one before it:
    `sentence` here)."""
    runs = name_runs(f"{context} {title}")
    groups = a.groups or tuple(frozenset([n]) for n in a.names)
    # the article's lede (`lede`) sets a one-word name of the story for its later paragraphs ("USA", "Scottish"),
    # not a person named in full, who is named again where the story speaks of them
    lede_runs = name_runs(lede) if lede else []
    missing = [g for g in groups if not names_group(g, runs) and not (len(g) == 1 and names_group(g, lede_runs))]
    if article and missing and groups[0] not in missing:
        article_runs = name_runs(article)
        missing = [g for g in missing if not names_group(g, article_runs)]
    if len(missing) > int(len(groups) * _NAMES_MISSING_SHARE):
        return False
    if a.role and not _stem_in(a.role, _words_of(context)):
        return False  # "the SEC fined Titan" is not about Titan's chief executive
    if a.measure and a.kind in ("amount", "number"):
        return _mentions(a.measure.union(*(_MEASURE_SYNONYMS.get(m, ()) for m in a.measure)), _words_of(sentence))
    return True


# Nouns naming what a figure measures. A sentence naming one of them states that measure, so it gives the
# asked one only when it names that one (or a synonym) too: "US exports rose 12.3% to $1.15 trillion" does
# not give the trade deficit, whatever the sentence before it says.
_MEASURE_NOUNS = _MONEY_NOUNS | frozenset(
    "exports imports output growth inflation unemployment gap imbalance shortfall subscribers customers users "
    "orders passengers visitors jobs shipments deliveries production".split())
_MEASURE_SYNONYMS = {"deficit": {"gap", "imbalance", "shortfall"}, "gap": {"deficit", "imbalance"},
                     "subscribers": {"customers", "users"}, "customers": {"subscribers", "users"},
                     "users": {"subscribers", "customers"}, "profit": {"earnings"}, "profits": {"earnings"},
                     "earnings": {"profit", "profits"}, "revenue": {"sales", "turnover"},
                     "revenues": {"sales", "turnover"}, "sales": {"revenue", "revenues", "turnover"},
                     "turnover": {"sales", "revenue", "revenues"}}


# Words that qualify a measure without naming it ("average", "whole", "total"): a sentence sharing only
# these with the question ("average monthly salaries" for "the average unemployment rate") is of another measure.
_QUALIFIERS = frozenset("average whole total overall annual net gross underlying".split())


def names_other_measure(a: Asked, sentence: str) -> bool:
    """For an amount or a count of a named measure ("the trade deficit", "subscribers"): the sentence names
    measures (exports, imports, sales, ...) but not the asked one nor a synonym of it; its figures are of
    those."""
    if a.kind not in ("amount", "number") or not a.measure:
        return False
    asked_nouns = {m for m in a.measure if m in _MEASURE_NOUNS}
    if not asked_nouns:
        return False
    words = _words_of(sentence)
    named = {w for w in words if w in _MEASURE_NOUNS or any(_stem_in(w, {n}) for n in asked_nouns)}
    if not named or _mentions(a.measure - _MEASURE_NOUNS - _QUALIFIERS, words):
        return False  # no measure named, or the asked one by a verb of its family ("bought ... for $9.3bn")
    wanted = set(asked_nouns).union(*(_MEASURE_SYNONYMS.get(m, set()) for m in asked_nouns))
    return not any(_stem_in(w, wanted) for w in named)


# A figure after one of these words, in the same clause, is hoped for or foreseen, not what is: "aims to
# have 25% of its subscribers", "predicting 10 million", "expected to make a 800m euro loss", "likely to
# cap her compensation to about £55,000", "market expectations of 190,000".
_HEDGE_RE = re.compile(r"\b(?:aim(?:s|ed|ing)?|target(?:s|ed|ing)?|goal|forecast(?:s|ing)?|predict(?:s|ed|ing|ions?)?|"
                       r"expect(?:s|ed|ing|ations?)?|project(?:ed|ions?)|hop(?:e|es|ed|ing)|plan(?:s|ned|ning)?|"
                       r"likely|could|might|may|set to|estimates? (?:of|that)|want(?:s|ed)? to|seek(?:s|ing)? to)\b")
_BEATEN_RE = re.compile(r"\b(?:than|as|beat|beats|beating|exceeded|exceeding|above|below|ahead of|missed|"
                        r"topped)\s+(?:\w+\s+)?$", re.IGNORECASE)
_HEDGE_WINDOW = 8  # words between the hedge and the figure it governs
_CLAUSE_BREAK_RE = re.compile(r"[;:.!?,]|\s[-–—]\s|"
                              r"\b(?:but|while|whereas|compared with|against)\b")
_FIGURE_RE = re.compile(r"(?:[$£€¥]\s?)?\d(?:[\d,.]*\d)?\s?(?:%|(?:billion|million|trillion|thousand|per ?cent|bn|m|k)\b)?|\b"
                        + _SPELLED + r"\s+(?:hundred|thousand|million|billion)\b", re.IGNORECASE)


def hedged_question(question: str) -> bool:
    """The question asks for a target, a forecast or a plan ("How much profit does X expect ...?")."""
    return bool(_HEDGE_RE.search(question)) or bool(re.search(r"\b(?:will|would|going to)\b", question,
                                                                     re.IGNORECASE))


def without_hedged_figures(sentence: str) -> str:
    """The sentence with each figure a hedge word governs (before it, in its clause, within a few words)
    blanked: what is left states what is or was."""
    out, last = [], 0
    for m in _FIGURE_RE.finditer(sentence):
        head = sentence[: m.start()]
        breaks = list(_CLAUSE_BREAK_RE.finditer(head))
        clause = head[breaks[-1].end():] if breaks else head
        near = " ".join(re.findall(r"[^\W_]+", clause)[-_HEDGE_WINDOW:])
        # lowercase only: "May" the month is no hedge; "better than expected at £75m" is what is
        if any(not _BEATEN_RE.search(near[: h.start()]) or near[h.end():].startswith(" of")
               for h in _HEDGE_RE.finditer(near)):
            out.append(sentence[last: m.start()] + " ")
            last = m.end()
    out.append(sentence[last:])
    return "".join(out)


_MONTH_NAMES = ("january february march april may june july august september october november "
                "december").split()
_MONTH_RE = re.compile(r"\b(" + "|".join(m.capitalize() for m in _MONTH_NAMES) + r")\b")
_YEAR_IN_RE = re.compile(r"\b((?:19|20)\d\d)\b")


# A year as the period of a figure: "for all of 2004", "in 2004", "annual", "full-year", "for the year".
_YEARLONG_RE = re.compile(r"\b(?:annual|yearly|full-year|for the (?:whole )?year|(?:in|for|during|over)\s+"
                          r"(?:all of\s+|the whole of\s+)?(?:(?:19|20)\d\d|last year|the year))\b", re.IGNORECASE)


_SINCE_RE = re.compile(r"\b(?:since|than|from|after|before|until|till|(?:\d{1,2}\s+)?[A-Z][a-z]+\s+\d{0,2},?)\s*$")


def of_another_period(a: Asked, sentence: str, previous: str = "") -> bool:
    """For an amount or a count in a period the question names: the figure's sentence names other periods
    only. A month asked for as a whole ("in December") is not another month ("in November"), a day of it
    ("between midnight on 31 December and 1 January") nor a year ("26 billion in total in 2004", naming no month); a year asked for ("in 2004") is not another ("$124bn in 2003") when the sentence, or
    the sentence before it, names no such year."""
    if a.kind not in ("amount", "number"):
        return False
    month = re.search(r"\b(?:in|during|for|of)\s+(" + "|".join(m.capitalize() for m in _MONTH_NAMES) +
                      r")\b(?!\s+\d{1,2}\b)", a.question)
    if month:
        name = month.group(1)
        mentions = [m for m in _MONTH_RE.finditer(sentence) if m.group(1) == name]
        whole = [m for m in mentions if not re.search(r"\d{1,2}(?:st|nd|rd|th)?\s+$", sentence[: m.start()])
                 and not re.match(r"\s+\d{1,2}\b(?!\d)", sentence[m.end():])]
        if mentions and not whole:
            return True
        if not mentions and _MONTH_RE.search(sentence):
            return True  # "9.6% in December" is not January's figure
        if not _MONTH_RE.search(sentence) and _YEARLONG_RE.search(sentence):
            return True  # "26 billion were sent in total in 2004" is the year's, not December's
    years = set(_YEAR_IN_RE.findall(a.question))
    if years:
        stated = {m.group(1) for m in _YEAR_IN_RE.finditer(without_hedged_figures(sentence))
                  if not _SINCE_RE.search(sentence[: m.start()])}
        if stated and not stated & years and not set(_YEAR_IN_RE.findall(previous)) & years:
            return True
    return False


# A count in words or figures ("2.4 billion", "72,000", "five million", "dozens"); a vague quantifier ("a
# few", "several", "numerous") counts only the noun right after it ("only a few biomolecules").
_COUNT_RE = re.compile(r"\d(?:[\d,.]*\d)?(?:\s?(?:bn|m|k|million|billion|trillion|thousand)\b)?|\b" + _SPELLED +
                       r"\b|\b(?:hundreds?|thousands?|millions?|billions?|dozens?|once|twice|thrice)\b", re.IGNORECASE)
_VAGUE_RE = re.compile(r"\b(?:a few|few|several|numerous|multiple|a handful of|many|a number of)\b", re.IGNORECASE)
_VAGUE_WINDOW = 3
_YEAR_RE = re.compile(r"(?:1[89]|20)\d\d$")
_COUNT_WINDOW = 6  # words between a count and the noun or verb of what it counts ("sold more than 1.75 million copies")
# A count whose noun is left to the sentence before ("... texts were sent. 2.4 billion were sent in December").
_ELIDED_RE = re.compile(r"^\s*(?:(?:bn|m|k|million|billion|thousand)\b\s*)?(?:of them\s+)?(?:were|was|are|is|have|has|"
                        r"had|will|would|went|came)\b", re.IGNORECASE)


def counts_asked(a: Asked, sentence: str, previous: str = "") -> bool:
    """For "how many X": a count in the sentence counts X, a word of X (the counted noun or verb) within a
    few words of it, or, when its noun is left out ("2.4 billion were fired off"), in the sentence before. A
    year ("in 2004"), an ordinal ("15th"), a number inside a name ("Football Manager 2005", "Channel 4") and a
    vague quantifier not of X ("won numerous awards") count nothing, nor does a percentage ("passenger numbers rose 8%") unless it is of X ("9.6% of students").
    Any other question: True."""
    if a.kind != "number" or not a.measure or not re.match(r"^\W*how many\b", a.question, re.IGNORECASE):
        return True
    text = _MONEY_AMOUNT_RE.sub(" ", sentence)
    before = {w.lower() for w in re.findall(r"[^\W_]+", previous)}
    counted = counted_noun(a)
    for m in _COUNT_RE.finditer(text):
        head = text[: m.start()]
        if _YEAR_RE.match(m.group(0)) or re.search(r"[A-Z][\w'’-]*\s+$", head) and m.group(0)[:1].isdigit():
            continue
        if re.match(r"(?:st|nd|rd|th)\b", text[m.end():]):
            continue  # "the 15th annual British Comedy Awards": an ordinal, no count
        if share := re.match(r"\s?(?:%|per ?cent\b|percent\b|percentage point)(?:\s+of\s+((?:[\w'’-]+\s+){0,2}[\w'’-]+))?",
                             text[m.end():]):
            if share.group(1) and _mentions(counted or a.measure, set(_words_of(share.group(1)))) \
                    and _share_does_asked(a.question, text):
                return True  # "9.6% of students ... received": a share of those counted doing the asked thing
            continue  # "passenger numbers rose 6%": a change, no count
        if counted and _counts_other_word(a.measure, counted, text[m.end():]):
            continue  # "three main parties" under "How many members would the chamber have?"
        near = re.findall(r"[^\W_]+", head)[-_COUNT_WINDOW:] + re.findall(r"[^\W_]+", text[m.end():])[:_COUNT_WINDOW]
        if _mentions(a.measure, {w.lower() for w in near}):
            return True
        if _ELIDED_RE.match(text[m.end():]) and _mentions(a.measure, before):
            return True
    # "a few things dealt with ... the Mac Mini" counts no Mac minis; "won numerous awards" no votes for an award
    for m in _VAGUE_RE.finditer(text):
        if _mentions(counted or a.measure, {w.lower() for w in re.findall(r"[^\W_]+", text[m.end():])[:_VAGUE_WINDOW]}):
            return True
    return False


_SUBJECT_VERB_RE = re.compile(r"^\W*how many\s+(?:[\w'’-]+\s+){0,4}?(?:did|do|does|has|have|had|is|are|was|were|will|"
                              r"would|could|can|might)\s+(?:(?:been|be|not|ever)\s+)*(?P<verb>[a-z][\w-]*)", re.IGNORECASE)


def _share_does_asked(question: str, sentence: str) -> bool:
    """For "How many X <verb> ...?" asked of X as the doer ("How many students have received ...?"), the
    sentence states the verb: a share of X doing it is the answer. A question of what something else has
    ("How many members would the chamber have?") is not answered by a share of the members ("70% ...
    elected")."""
    m = _SUBJECT_VERB_RE.match(question)
    if not m or m.group("verb").lower() in {"the", "a", "an", "his", "her", "its", "their", "this", "that"}:
        return False
    verb, words = m.group("verb").lower(), _words_of(sentence)
    return _stem_in(verb, words) or any(_verb_base(w) == _verb_base(verb) for w in words)


_COUNTED_RE = re.compile(r"^\W*how many\s+((?:[\w'’-]+\s+){0,4}?)(?:did|do|does|has|have|had|is|are|was|were|"
                         r"will|would|could|can|might)\b", re.IGNORECASE)
_NOUN_HEAD_WORDS = 3  # words after a count read for the noun it counts ("three main parties")
_VERB_AFTER_COUNT = frozenset("were was are is have has had will would went came of".split())


def counted_noun(a: Asked) -> frozenset[str]:
    """What "How many X did ...?" counts: the words of X ("members" of "How many members would the chamber
    have?"); empty when the question does not say it before its verb."""
    m = _COUNTED_RE.match(a.question)
    return frozenset(w for w in _words_of(m.group(1)) if w in a.measure) if m else frozenset()


def _counts_other_word(measure: frozenset[str], counted: frozenset[str], after: str) -> bool:
    """The count is followed at once (modifiers aside) by another of the question's words than what it
    counts: "three main parties" counts parties, not the members of a cross-party group's chamber."""
    for w in [w.lower() for w in re.findall(r"[^\W_]+", after)][:_NOUN_HEAD_WORDS]:
        if w in _VERB_AFTER_COUNT:
            return False  # "4.1 billion were sent": the noun is left out, the words after are the verb's
        if _mentions(counted, {w}):
            return False
        if _mentions(measure, {w}):
            return True
    return False


def _mentions(measure: frozenset[str], words: set[str]) -> bool:
    # "own" in "owns": short words match as a prefix
    return any(_stem_in(m, words) or (len(m) >= 3 and any(w.startswith(m) for w in words)) for m in measure)


_QUALIFIER_RE = r"\s+(?:with|at|of|from|for|in|to)\s+(?:the\s+)?([A-Z][\w'’-]*)"


# "... refers to a small UK-based engineering firm, which received 12 million e-mails": a figure in a relative
# clause after an indefinite noun phrase is of the new thing that phrase brings in.
_INDEFINITE_HOLDER_RE = re.compile(r"\b(?:a|an)\s+(?P<holder>[^,;:.\"“”]{2,60}?),\s+(?:which|who)\s+(?!(?:said|says|told|added|warned|believes|thinks|estimated|predicted)\b)"
                                  r"[^,;:.]{0,40}?\d")


def of_another_subject(a: Asked, sentence: str) -> bool:
    """The sentence gives the asked measure of another subject: each time it names the measure, a name the
    question does not give qualifies it ("the US trade deficit with China" under "How big was the US trade
    deficit?", "profits at Heineken" under a question about Grolsch's), or its figures are all of something
    an indefinite phrase brings in ("a small engineering firm, which received 12 million e-mails" under a
    question about Email Systems)."""
    if a.kind not in ("amount", "number") or not a.measure:
        return False
    holders = list(_INDEFINITE_HOLDER_RE.finditer(sentence))
    if holders and a.names and not any(_stem_in(w, set(a.names)) for m in holders for w in _words_of(m.group("holder"))):
        figures = [m.start() for m in re.finditer(r"\d[\d,.]*", sentence)]
        if figures and all(any(h.start() < f < h.end() for h in holders) for f in figures):
            return True
    found = [m for m in re.finditer(r"[^\W_]+", sentence) if _mentions(a.measure, {m.group(0).lower()})]
    if not found:
        return False
    for m in found:
        q = re.match(_QUALIFIER_RE, sentence[m.end():])
        if not q or q.group(1).lower() in _RUN_STOP:
            return False
        # "profits at US media giant TimeWarner": the question's subject, described
        following = [w.lower() for w in re.findall(r"[^\W_]+", sentence[m.end() + q.start(1):])[:_QUALIFIER_WORDS]]
        if any(_stem_in(w, set(a.names)) for w in following):
            return False
    return True


_QUALIFIER_WORDS = 5  # words of a measure's qualifier read for the question's names


# Kinds whose absence from every sentence means the passages do not answer: a number, an amount or a
# date is in the sentence or it is not. A person, a place or a reason may be worded without a name or
# a cue word ("overweight people", "in his head"): those kinds rank sentences but never decide abstention.
DECISIVE_KINDS = frozenset({"amount", "number", "date"})


_REFERRING_RE = re.compile(r"^\W*(?:it|its|they|their|them|he|his|she|her|this|these|those)\b", re.IGNORECASE)


def answers(a: Asked, sentence: str, previous: str, paragraph: str, title: str = "",
            dates: list[DateMention] | None = None, lead_in: str = "", lede: str = "",
            article: str = "") -> tuple[bool, bool]:
    """(may answer, gives the kind): for a decisive kind, the sentence (read after the one before it)
    gives it about the asked subject; any sentence may answer another kind (a paragraph naming the
    answer often leaves the question's names to the one before). And whether it gives the asked kind
    about that subject. `lead_in`: the last sentence of the paragraph before, for a paragraph's first
    sentence, read only for the noun of a count it leaves out; `lede`: the article's first paragraph
    (about_subject); `article`: for a sentence of the lede, the article's paragraphs read (about_subject)."""
    # a number, an amount or a date is of the subject the sentence or its antecedent names (or the
    # headline), not of one named elsewhere in the paragraph ("China's exports ... the deficit rose to $43bn")
    # (a sentence going on from an earlier one, "Their 194 yards and 11 first downs ...", reads the paragraph)
    previous = previous or ""
    around = f"{previous or lead_in} {sentence}" if a.kind in DECISIVE_KINDS and not any(
        _REFERRING_RE.match(s) for s in (sentence, previous)) and not counts_in_full(a, sentence) else paragraph
    # a figure hoped for or foreseen ("aims to have 10 million subscribers") does not say what is
    stated = sentence if a.kind not in ("amount", "number") or hedged_question(a.question) else \
        without_hedged_figures(sentence)
    # a count's noun may be left to the paragraph before ("2.4 billion were fired off in December")
    before = previous or (lead_in if a.kind == "number" else "")
    gives = (gives_kind(a, stated, dates) and about_subject(a, f"{before} {sentence}", around, title, lede, article)
             and counts_asked(a, stated, previous or lead_in) and not of_another_subject(a, sentence)
             and not names_other_measure(a, sentence) and not of_another_period(a, stated, previous or lead_in)
             and (a.kind != "date" or dates_asked_event(a, f"{before} {sentence}", title)))
    return gives or a.kind not in DECISIVE_KINDS, gives


# "How many yellow ballot papers did police find ...?": the counted noun phrase, before the question's verb.
_COUNTED_PHRASE_RE = re.compile(r"^\W*how many\s+((?:[\w'’-]+\s+){1,3}?[\w'’-]+)\s+(?:did|do|does|were|was|are|is|have|"
                                r"has|had|will|would|could|can)\b", re.IGNORECASE)


def counts_in_full(a: Asked, sentence: str) -> bool:
    """For "how many X": the sentence writes X's whole phrase of two words or more ("every one of these 275
    yellow ballot papers"), so its count is of what was asked, and the question's names, which only place it
    ("at the Birmingham warehouse in the Aston ward case"), may be anywhere in its paragraph. For "how much
    will X cost?", X's last two words ("Each remote hunting session will cost $150" for "each remote-controlled
    hunting session ... on the Live-Shot website")."""
    if a.kind == "amount" and (m := _PRICED_PHRASE_RE.match(a.question)):
        words = m.group(1).lower().split()
        return len(words) >= 2 and re.search(rf"\b{re.escape(' '.join(words[-2:]))}\b", sentence.lower()) is not None
    m = _COUNTED_PHRASE_RE.match(a.question) if a.kind == "number" else None
    return bool(m) and re.search(rf"\b{re.escape(m.group(1).lower())}\b", sentence.lower()) is not None


# "How much will each remote-controlled hunting session cost ...?": what is priced, before "cost".
_PRICED_PHRASE_RE = re.compile(r"^\W*how much\s+(?:will|would|does|do|did|is|are|was|were|could|can)\s+(?:the\s+|each\s+|a\s+|an\s+)?"
                               r"((?:[\w'’-]+\s+){1,3}?[\w'’-]+)\s+(?:cost|be worth|sell for|fetch)\b", re.IGNORECASE)


def dates_asked_event(a: Asked, text: str, title: str = "") -> bool:
    """A date answers "when?" only where the sentence (after the one before it, or under its headline) names
    what the question asks the time of, a word of its event beyond its names: "who failed to return after a
    trip on Monday" dates no recapture, and "found among the papers of a pianist who died in 2001" no
    performance of the cantata."""
    # a word just before a name describes it ("Carstairs escapee Michael Ferguson"): it is no event
    described = {m.group(1).lower() for m in re.finditer(r"\b([a-z][\w'’-]*)\s+(?=[A-Z])", a.question)}
    event = frozenset(_one_spelling(w) for w in _event_words(a, a.question) - described)
    return not event or _mentions(event, {_one_spelling(w) for w in _words_of(f"{text} {title}")})


def _one_spelling(word: str) -> str:
    """British and American spellings alike: "centre" and "center", "labour" and "labor"."""
    if len(word) >= 5:
        word = re.sub(r"(?<=[^aeiou])re$", "er", word)
        word = re.sub(r"our$", "or", word)
    return word


# "Which companies ...", "Who have ...", "What firms ...": a question whose answer is one line per article.
_LIST_RE = re.compile(r"^\W*(?:[Ww]hich|[Ww]hat)\s+(?:[a-z-]+\s+(?:and|or)\s+)?(?:(?![a-z]+ed\b)[A-Za-z-]+\s+){0,2}?(?P<noun>[a-z-]{2,}(?:ies|[^su'\s]s))\b"
                      r"(?!\s+(?:is|was|has)\b)|^\W*[Ww]ho\s+(?:have|are|were|else)\b|^\W*(?:[Nn]ame|[Ll]ist)\s+"
                      r"(?:the\s+)?[a-z-]+s\b")
_NOT_PLURAL = frozenset("was has does is its this his us yes always perhaps news series species".split())


LIST_PASSAGES = 40  # passages a list question reads (at least)
LIST_PER_ARTICLE = 2  # of them at most this many of one article, so they reach more articles


# Words that show the plural after "which/what" is the question's subject, not a verb in -s ("What tribe uses
# GPS devices?", "Which neighborhood lies west of ...?"): an auxiliary, a past tense, a joined class, a clause.
_SUBJECT_NEXT = frozenset(f"{_AUXILIARIES.replace('|', ' ')} do does did been being be and or that who which whose "
                          "not also".split())
_ASKED_FRAME = frozenset(f"{_AUXILIARIES.replace('|', ' ')} do does did of in on for to from with by at about the a an "
                         "this that its their his her".split())


def asks_for_list(question: str) -> bool:
    """The question asks for every instance ("Which companies have recalled products?"), not one. The
    plural must be the question's subject: "What did Pegasus satellites measure?", "What attribute of
    humans ...?" and "What activity maintains ...?" ask for one thing."""
    m = _LIST_RE.search(question)
    if not m or (m.group("noun") or "") in _NOT_PLURAL:
        return False
    if not m.group("noun"):
        return True  # "Who have ...", "Name the ..."
    wh = re.match(r"\W*(\w+)", m.group(0)).group(1).lower()
    between = question[m.start():m.start("noun")].split()[1:]
    if any(w.lower() in _ASKED_FRAME for w in between):
        return False
    rest = question[m.end():]
    while (more := re.match(r" ([a-z-]{3,}s)\b", rest)) and more.group(1) not in _SUBJECT_NEXT:
        rest = rest[more.end():]  # "Which next-generation games consoles are ...": the last noun is the class
    after = re.match(r"\s*([\w'’-]+|[^\w\s])", rest)
    word = after.group(1) if after else ""
    subject_next = (not word or not word[0].isalnum() or word.lower() in _SUBJECT_NEXT or word.endswith("ed")
                    or word.lower() in _IRREGULAR)
    # a bare "Which companies offer ..." reads as a list; after a modifier or "what", the next word must show it
    return subject_next or (not between and wh.startswith("which"))


def focus_words(question: str) -> set[str]:
    """The question's content words that say what it is about: not the archive ("article"), nor its frame."""
    return {w for w in _content_words(question) if w not in ARCHIVE_WORDS}


_MONEY_VERBS = frozenset("pay cost costs fund bid offer spending sum bill value worth".split())
_MODIFIERS = ("net", "pre-tax", "pretax", "annual", "total", "operating", "gross", "full-year", "quarterly", "retail",
              "asking", "selling", "purchase", "transfer", "average", "underlying", "first-half", "half-year")
_DESCRIPTION = {"person": "say who", "place": "say where", "date": "say when", "reason": "say why",
                "number": "give the number asked for", "amount": "give the amount asked for"}


def what_is_missing(a: Asked) -> str:
    """What the passages do not do, in words: "give the net profit", "say when", "give the number of jobs"."""
    if a.kind == "amount" and a.measure:
        nouns = [m for m in sorted(a.measure) if m not in _MONEY_VERBS and m in _MONEY_NOUNS
                 and re.search(rf"\b{m}\b", a.question.lower())]
        if not nouns:
            return "say how much"
        m = re.search(rf"\b(?:({'|'.join(_MODIFIERS)})\s+)?({'|'.join(nouns)})\b", a.question.lower())
        return f"give the {m.group(0) if m else nouns[0]}"
    if a.kind == "number" and a.measure:
        # "How many spam e-mails did ...": the words between "how many" and the verb
        counted = re.match(r"^\W*how many\s+((?:[\w'’-]+\s+){0,3}?)(?:did|do|does|has|have|had|is|are|was|were|will|"
                           r"would|could|can|might)\b", a.question, re.IGNORECASE)
        if counted and counted.group(1).strip():
            return f"give the number of {counted.group(1).strip()}"
        first = re.match(r"^\W*how many\s+([\w'’-]+)", a.question, re.IGNORECASE)
        if first:
            return f"give the number of {first.group(1)}"
        if asks_rate(a.question):
            return "give the share asked for"
        return f"give the number of {sorted(a.measure)[0]}"
    return _DESCRIPTION.get(a.kind, "answer this question")
