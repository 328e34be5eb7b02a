"""Questions about an article itself: who wrote it, when it was published, which outlet, its headline.

The answer is in the article's metadata (byline, date, outlet, title), which is indexed but is no
paragraph a search would find, so these questions are recognised by their wording and answered from
the metadata of the article the rest of the question points to, cited to that article.
"""

from __future__ import annotations

import re

from ..search.retriever import SearchResult
from ..index.records import Passage
from .citations import Answer, Citation

_PIECE = r"(?:this|that|the)\s+(?:news\s+)?(?:story|article|report|piece)"
# Nouns "headline" describes ("the headline act", "headline inflation"): then it is no article's headline.
_HEADLINE_MODIFIES = ("acts?|slots?|inflation|rates?|figures?|numbers?|shows?|sponsors?|performers?|bands?|artists?|"
                      "events?|gigs?|sets?|prices?|growth|profits?|sales|earnings|results?|deals?|stars?|fight|bout")
_FIELDS = {
    "byline": re.compile(
        rf"\bwho\s+(?:wrote|authored|penned|reported)\s+(?:{_PIECE}|it\W*$)|\bwho\s+is\s+the\s+(?:author|writer|"
        rf"reporter|journalist)\b|\b(?:author|writer|byline)\s+of\s+{_PIECE}|\bwhose\s+(?:story|article|report|piece)\b",
        re.IGNORECASE),
    "date": re.compile(
        rf"\bwhen\s+(?:was|were|did)\s+(?:{_PIECE}|it)\b(?:.{{0,80}}?)\b(?:published|written|released|posted|"
        rf"come\s+out|appear|dated)\b|\b(?:publication|publishing)\s+date\b|\bwhat\s+date\s+(?:is|was)\s+{_PIECE}",
        re.IGNORECASE),
    "source": re.compile(
        r"\b(?:which|what)\s+(?:outlet|news\s*paper|publication|news\s+agency|agency|news\s+outlet|media\s+outlet|"
        r"website|site|paper|broadcaster|news\s+organi[sz]ation)\s+(?:published|reported|ran|carried|broke|wrote|"
        r"is\s+(?:this|it)|was\s+(?:this|it))\b|\bwho\s+published\b", re.IGNORECASE),
    # the article's headline, a noun after a determiner: not "will headline the festival", "the headline act"
    "title": re.compile(rf"\b(?:the|its|what|which)\s+headline\b(?!\s+(?:{_HEADLINE_MODIFIES})\b)"
                        rf"|\btitle\s+of\s+{_PIECE}|^\W*what(?:'s|\s+is|\s+was)\s+the\s+title\W*$", re.IGNORECASE),
}
# The words that make a question about the article rather than about its content, left out of the search
# for the article it means ("Who wrote the story about the harbour?" -> "harbour").
_FRAME_RE = re.compile(
    r"\b(?:who|when|which|what|whose|was|were|is|did|does|the|this|that|it|wrote|written|authored|penned|"
    r"author|writer|reporter|journalist|byline|published|publish|publication|released|posted|date|dated|"
    r"outlet|newspaper|news|paper|agency|media|website|site|broadcaster|organi[sz]ation|headline|title|"
    r"story|article|report|reported|piece|about|of|on|by|come|out|appear|s)\b|[?'’]", re.IGNORECASE)
_LABELS = {"byline": "author", "date": "publication date", "source": "outlet", "title": "headline"}


def metadata_field(question: str) -> str | None:
    """Which fact about the article a question asks for (byline, date, source, title), if any."""
    for name, pattern in _FIELDS.items():
        if pattern.search(question):
            return name
    return None


def topic_of(question: str) -> str:
    """What the question says about the article, to find it: the question without its frame."""
    return re.sub(r"\s+", " ", _FRAME_RE.sub(" ", question)).strip()


def answer_metadata(question: str, field: str, result: SearchResult, article_passages) -> Answer | None:
    """Answer `field` of the article of the best passage in `result`, cited to that article's first
    paragraph; None when nothing was found. `article_passages(article_id)` lists an article's passages."""
    if not result.passages:
        return None
    top = result.passages[0]
    passages = article_passages(top.article_id) or [top]
    cited: Passage = passages[0]
    title, source, date, byline = top.title, top.source, top.date, top.byline
    where = ", ".join(x for x in (source, date) if x)
    value = {"byline": byline, "date": date, "source": source, "title": title}[field]
    if not value:
        text = f"“{title}” does not state its {_LABELS[field]}."
        return Answer(question, text, True, "metadata", [], result.passages,
                      extra={"metadata": {"field": field, "article_id": top.article_id, "value": None}})
    if field == "byline":
        text = f"“{title}” was written by {byline}" + (f" ({where})" if where else "") + "."
    elif field == "date":
        text = f"“{title}” was published on {date}" + (f" by {source}" if source else "") + "."
    elif field == "source":
        text = f"“{title}” was published by {source}" + (f" on {date}" if date else "") + "."
    else:
        text = f"The headline is “{title}”" + (f" ({where})" if where else "") + "."
    return Answer(question, f"{text} [1]", False, "metadata", [Citation(1, cited, cited.text)], result.passages,
                  notice="Answered from the article's metadata (byline, date, outlet, headline).",
                  extra={"metadata": {"field": field, "article_id": top.article_id, "value": value}})
