"""The answer when no LLM is configured: the passages' own most relevant sentences, each cited.

Nothing is paraphrased, so nothing can be wrong beyond picking the wrong sentence; when the best
evidence is weak the answerer abstains (evidence.should_abstain) rather than quoting something beside
the point.
"""

from __future__ import annotations

from dataclasses import replace

from ..ingest.dates import DateMention, asks_when
from ..ingest.documents import split_sentences
from ..ingest.embeddings import Embedder
from ..index.records import Passage
from ..search.retriever import SearchResult
from .answerability import (about_subject, asked, asks_for_list, asks_stated_reason, claim_of_asked_party, counted_verb,
                            gives_reason_for, means_object, means_verb, names_party, own_account, reason_subject,
                            states_deed, states_event, states_verb)
from .citations import Answer, number_citations
from .evidence import (EXTRACTIVE_SENTENCES, EXTRACTIVE_SHARE, Candidate, abstention, abstention_holding, abstention_off_topic,
                       abstention_never_quoted, abstention_unnamed_speaker, never_quoted, unnamed_speaker,
                       neighbour_candidates, off_topic, quoted_candidates, rank_sentences, should_abstain, undisclosed,
                       speaker_sentence,
                       statement_evidence, topic_ranking, unanswered, with_ledes)
from .injection import instruction_free
from .listing import (LIST_MIN_ARTICLES, TIERS, answers_list, describes_instance, list_reading, list_question,
                      names_instance, names_someone)

NO_LLM_NOTICE = (
    "No LLM is configured, so this answer quotes the articles' own sentences. "
    "To have an LLM write answers, pass --llm (or set QA_LLM); see `qa ask --help`."
)




def answer_extractively(
    question: str, result: SearchResult, embedder: Embedder, max_sentences: int = EXTRACTIVE_SENTENCES,
    ranked: list[Candidate] | None = None,
) -> Answer:
    """Pick the best sentences of the retrieved passages and cite each one. `ranked`: rank_sentences'
    result, when the caller has it (the LLM's answer falling back to this one)."""
    if result.statements:
        return answer_who_said(question, result, embedder, ranked)
    if (who := unnamed_speaker(question, result)) is not None:
        return abstention_unnamed_speaker(question, result, who, "extractive", notice=NO_LLM_NOTICE)
    if (who := never_quoted(result)) is not None:
        return abstention_never_quoted(question, result, who, "extractive", notice=NO_LLM_NOTICE)
    if should_abstain(result):
        return abstention(question, result, "extractive", notice=NO_LLM_NOTICE)
    if ranked is None:
        ranked = rank_sentences(question, result, embedder, **list_reading(question, result))
        if not asks_for_list(question):
            ranked = with_ledes(question, result, embedder, ranked)
    if not ranked:
        return abstention(question, result, "extractive", notice=NO_LLM_NOTICE)
    if unanswered(ranked):
        return abstention_holding(question, result, ranked, "extractive", notice=NO_LLM_NOTICE)
    if (kept_back := undisclosed(question, ranked)) is not None:
        return abstention_holding(question, result, ranked, "extractive", kept_back, notice=NO_LLM_NOTICE)
    if asks_for_list(question):
        return answer_list(question, result, ranked)
    neighbours = neighbour_candidates(question, result, ranked)
    if lacks_asked_kind(ranked + neighbours, question) and own_reason(ranked + neighbours, question) is None:
        return abstention_holding(question, result, ranked, "extractive", notice=NO_LLM_NOTICE)
    chosen = quoted_sentences(question, result, embedder, ranked, max_sentences, neighbours)
    when = asks_when(question)
    pieces = _evidence_only([(f"{date_prefix(c.dates)}: {c.sentence}" if when and c.dates else c.sentence, c.passage)
                             for c in chosen])
    if not pieces:
        return abstention(question, result, "extractive", notice=NO_LLM_NOTICE)
    text, citations = number_citations(pieces)
    shown = {p.id for p in result.passages}
    read = {c.passage.id: c.passage for c in chosen if c.passage.id not in shown}  # context paragraphs quoted
    return Answer(question, text, False, "extractive", citations, [*result.passages, *read.values()],
                  notice=NO_LLM_NOTICE)


def quoted_sentences(question: str, result: SearchResult, embedder: Embedder, ranked: list[Candidate],
                     max_sentences: int = EXTRACTIVE_SENTENCES, neighbours: list[Candidate] | None = None
                     ) -> list[Candidate]:
    """The sentences the extractive answer quotes, in its order: the answering ones (`choose_answering`),
    each followed by the next one naming the answer (the next paragraph read too), a reason tied to what
    is asked found further on first, then what states the asked kind, by passage rank. The local model
    chooses among the same sentences, so its choice is never worse-informed than this answer.
    `neighbours`: `neighbour_candidates` of `ranked`, when the caller has them."""
    if neighbours is None:
        neighbours = neighbour_candidates(question, result, ranked)
    chosen = with_next_answering(choose_answering(ranked, question, max_sentences), ranked + neighbours, question)
    reason = reason_elsewhere(chosen, ranked + neighbours, question, embedder)
    if (reason is None and no_reason_given(ranked + neighbours, question)) or asks_stated_reason(question):
        # what the person went on to say leads an answer to "Why did X say ...?", before any cue's reason
        reason = own_reason(ranked + neighbours, question) or reason
    if reason is not None:
        same = (reason.passage.id, reason.index)
        chosen = [reason, *[c for c in chosen if (c.passage.id, c.index) != same][:max_sentences - 1]]
    if claim := next((c for c in chosen if claim_of_asked_party(question, c.sentence)), None):
        reason = claim  # what those asked about said leads (choose_answering)
    elif claim := stated_claim(chosen, ranked + neighbours, question):
        reason = claim
        chosen = [claim, *chosen[:max_sentences - 1]]
    means = means_stated(chosen, ranked + neighbours, question)
    if means:
        reason = means[0]  # quoted first, as a reason found further on is
        chosen = [*means, *[c for c in chosen if c not in means][:max(2, max_sentences - len(means))]]
    rank = {p.id: float(r) for r, p in enumerate(result.passages)}
    first = {}  # a paragraph read as context ranks just after its article's best passage
    for r, p in enumerate(result.passages):
        first.setdefault(p.article_id, r + 0.5)
    for c in chosen:
        rank.setdefault(c.passage.id, first.get(c.passage.article_id, float(len(result.passages))))
    # what states the asked kind first (a reason tied to what is asked, found further on, before all; the
    # sentence stating a how-question's verb and the one after it, in their order)
    rest = sorted((c for c in chosen if c not in means), key=lambda c: (c is not reason, not c.gives,
                                                                       rank[c.passage.id], c.index))
    if asked(question).kind == "reason" and not means:
        rest += best_after(rest, ranked, max_sentences)
    return [*means, *rest]


def best_after(chosen: list[Candidate], ranked: list[Candidate], max_sentences: int) -> list[Candidate]:
    """For "why?", the best-ranked sentences without a reason's cue after the ones a cue ties to the question,
    up to max_sentences: a reason is often stated plainly ("China already has more than enough
    cigarette-making capacity", "I completely lost it in the lights"), while a cue the rules did not tie to
    the question gives the reason for something else ("margins were helped by ..." under "Why did sales
    fall?")."""
    quoted = {(c.passage.id, c.index) for c in chosen}
    plain = [c for c in ranked if not c.gives and (c.passage.id, c.index) not in quoted]
    return plain[:max(0, max_sentences - len(chosen))]


def _evidence_only(pieces: list[tuple[str, Passage]]) -> list[tuple[str, Passage]]:
    """The answer's pieces without what an article planted for a model (injection.instruction_free):
    whatever path chose a sentence (ranking, a speaker's statement), an injected block is never quoted."""
    kept = [(instruction_free(text), passage) for text, passage in pieces]
    return [(text, passage) for text, passage in kept if text]


def choose_answering(ranked: list[Candidate], question: str, max_sentences: int = EXTRACTIVE_SENTENCES
                     ) -> list[Candidate]:
    """The sentences to quote: of those that may answer (about the question's subject, stating an asked
    number, amount or date), the best few, and when none of them states the asked kind (a name for who)
    the best that does, scoring at least EXTRACTIVE_SHARE of the best; for "why?", only the sentences
    that give a reason's cue, when there are."""
    answering = [c for c in ranked if c.answers]
    if not answering or not asked(question).typed:
        return quoted_candidates(answering, max_sentences)
    floor = answering[0].score * EXTRACTIVE_SHARE
    if asked(question).kind == "reason" and (claims := [c for c in answering if claim_of_asked_party(question, c.sentence)]):
        # "Why did the Tories object ...?": what they said they objected to, before any cue's reason
        rest = [c for c in answering if c.gives and c.score >= floor and c not in claims]
        return (claims + rest)[:max_sentences]
    givers = [c for c in answering if c.gives and c.score >= floor]
    if givers and asked(question).kind == "reason":
        # "why?" is answered by reasons, best by those tying the cue to what the question asks about
        # ("bad weather ... has hit sales" for "Why did sales fall?", not "margins were helped by ...")
        before = {(c.passage.id, c.index): c.sentence for c in ranked}
        linked = [c for c in givers if gives_reason_for(asked(question), c.sentence,
                                                        before.get((c.passage.id, c.index - 1), ""))]
        return (linked or givers)[:max_sentences]
    chosen = quoted_candidates(answering, max_sentences)
    counted = counted_verb(question) if asked(question).kind in ("number", "amount") else ""
    stating = [c for c in givers if counted and states_verb(counted, c.sentence)]
    if stating and stating[0] not in chosen:
        # "cancel 77 flights" for "How many flights did Lufthansa have to cancel?", before "92 flights were delayed"
        chosen = [stating[0], *chosen[:max_sentences - 1]]
    if givers and not any(c.gives for c in chosen):
        chosen.append(givers[0])  # the best sentence stating the asked kind, beside the best few
    return chosen


def _reading_order(read: list[Candidate]) -> tuple[list[Candidate], dict[tuple[int, int], str]]:
    """The sentences read, in article order, and for each the sentence before it (across a paragraph break
    too, within its article)."""
    order = sorted({(c.passage.id, c.index): c for c in read}.values(),
                   key=lambda c: (c.passage.article_id, c.passage.paragraph, c.passage.part, c.index))
    previous = {(c.passage.id, c.index): p.sentence for p, c in zip(order, order[1:])
                if p.passage.article_id == c.passage.article_id and c.passage.paragraph - p.passage.paragraph <= 1}
    return order, previous


def lacks_asked_kind(read: list[Candidate], question: str) -> bool:
    """The sentences read give no reason for a "why?" (`no_reason_given`) or no person for a "who?"
    (`no_person_given`): the answer is an abstention, decided before any model runs."""
    return no_reason_given(read, question) or no_person_given(read, question)


def no_reason_given(read: list[Candidate], question: str) -> bool:
    """For "why?": no sentence read (the retrieved passages and the rest of their articles) ties a reason to
    what is asked (gives_reason_for, read after the sentence before it). The archive reports the event but
    not why: "104,000 manufacturing jobs were axed" with no cause given is no answer to "Why were they
    cut?", and quoting the nearest sentence would pass an unrelated one off as the reason."""
    a = asked(question)
    if a.kind != "reason" or not read:
        return False
    order, previous = _reading_order(read)
    # the article names the subject, maybe only in another paragraph ("The league took action against the
    # pair for failing ..." after the one naming both sprinters)
    articles: dict[str, dict[int, str]] = {}
    for c in order:
        articles.setdefault(c.passage.article_id, {})[c.passage.id] = c.passage.text
    # what the objecting party said is the reason for its objection ("The Greens said she broke a convention")
    return not any(about_subject(a, c.sentence, " ".join(articles[c.passage.article_id].values()),
                                 c.passage.title or "")
                   and (gives_reason_for(a, c.sentence, previous.get((c.passage.id, c.index), ""))
                        or claim_of_asked_party(question, c.sentence)) for c in order)


def no_person_given(read: list[Candidate], question: str) -> bool:
    """For "who?" (one person, not a list): no sentence read (the retrieved passages and the paragraphs
    read beside them) names a person the question does not, about its subject, nor a country, firm or team
    that may have done the asked thing (answerability.names_party: "a treaty with Russia"). "enlisted the help of a
    computer graphics specialist and another student" describes who did the programming but names no
    one: quoting it under "Who wrote the program?" would not answer."""
    a = asked(question)
    if a.kind != "person" or not read:
        return False
    _, previous = _reading_order(read)
    # the person named does the asked thing (states_deed): "founded by actor Robert Redford" does not say
    # who will chair the jury
    return not any(
        (c.gives or (names_party(c.sentence, a.names) and about_subject(a, c.sentence, c.passage.text,
                                                                        c.passage.title or "")))
        and states_deed(a, c.sentence, previous.get((c.passage.id, c.index), "")) for c in read)


def reason_elsewhere(chosen: list[Candidate], read: list[Candidate], question: str, embedder: Embedder
                     ) -> Candidate | None:
    """For "why?", when no chosen sentence ties a reason to what is asked (gives_reason_for, read after the
    sentence before it, across a paragraph break too): the one that does among the other sentences read (the
    retrieved passages and the rest of their articles) closest in meaning to the question. "China's
    economy has expanded by 9.5%" is retrieved; "... gathering speed thanks to domestic demand" is four
    paragraphs on."""
    a = asked(question)
    if a.kind != "reason" or not chosen:
        return None
    order, previous = _reading_order([*read, *chosen])

    def linked(c: Candidate, alone: bool = False) -> bool:
        return c.gives and c.answers and gives_reason_for(
            a, c.sentence, None if alone else previous.get((c.passage.id, c.index), ""))

    # a reason tied to the asked event within its own sentence ("is being sued ... by a viewer disgusted by
    # watching ...") is surer than one tied only through the sentence before it
    if any(linked(c, alone=True) for c in chosen):
        return None
    found = [c for c in order if linked(c, alone=True)][:REASONS_READ]
    if not found and any(linked(c) for c in chosen):
        return None
    found = found or [c for c in order if linked(c)][:REASONS_READ]
    if not found:
        return None
    closeness = embedder.encode([c.sentence for c in found]) @ embedder.encode_query(question)
    return found[int(closeness.argmax())]


def stated_claim(chosen: list[Candidate], read: list[Candidate], question: str) -> Candidate | None:
    """For "Why did X object to / oppose ...?", when no chosen sentence reports what X said: the first that
    does in the chosen articles (the retrieved passages and the rest of them), in reading order ("The
    federation said CSOs do not have the experience ..." after the lede telling its opposition)."""
    if not chosen or asked(question).kind != "reason":
        return None
    articles = {c.passage.article_id for c in chosen}
    order, _ = _reading_order(read)
    return next((c for c in order if c.passage.article_id in articles and claim_of_asked_party(question, c.sentence)),
                None)


def own_reason(read: list[Candidate], question: str) -> Candidate | None:
    """For "Why did <person> miss / skip / quit ...?": the person's own first-person quote (answerability.
    own_account) in the paragraph stating the asked event or the two after it, in the sentences read (the
    retrieved passages and the rest of their articles). Someone explaining their own act gives its reason
    in their words, often with no cue: "'I woke up with a fever and I'm not well enough to play,' Vark said."
    after "Vark has missed the Kelport Open"."""
    surname = reason_subject(question)
    if not surname:
        return None
    stated = asks_stated_reason(question)
    a = asked(question)
    order, _ = _reading_order(read)
    events = [c for c in order if surname in f"{c.sentence} {c.passage.text}" and states_event(a, c.sentence)]
    for event in events:
        for c in order:
            if (c.passage.article_id == event.passage.article_id
                    and 0 <= c.passage.paragraph - event.passage.paragraph <= OWN_REASON_PARAGRAPHS
                    and (c.passage.paragraph, c.passage.part, c.index) > (event.passage.paragraph, event.passage.part,
                                                                          event.index)
                    and own_account(surname, c.sentence, c.passage.text, stated)):
                return c
    return None


OWN_REASON_PARAGRAPHS = 2  # how far after the asked event a person's own account of it is read as its reason
REASONS_READ = 12  # tied reasons found further on that are compared with the question


def means_stated(chosen: list[Candidate], read: list[Candidate], question: str) -> list[Candidate]:
    """For "How did X <verb> ...?" (a named subject: answerability.means_verb), when no chosen sentence
    states the verb: the first sentence of the chosen articles (the retrieved passages and the rest of
    their articles) that does, with the sentence after it, which often says how ("They were to change
    ... the comics industry, forever." then "Lee gave each character everyday teenage problems ...").
    Nothing when a chosen sentence states it, or none read does."""
    verb, objects = means_verb(question), means_object(question)
    if not verb or not chosen or any(states_verb(verb, c.sentence) for c in chosen):
        return []
    articles = list(dict.fromkeys(c.passage.article_id for c in chosen))
    order, _ = _reading_order([*read, *chosen])
    for k, c in enumerate(order):
        if c.passage.article_id in articles and states_verb(verb, c.sentence, objects):
            after = order[k + 1] if k + 1 < len(order) else None
            same = after is not None and after.passage.article_id == c.passage.article_id \
                and after.passage.paragraph - c.passage.paragraph <= 1
            return [c, after] if same else [c]
    return []


def with_next_answering(chosen: list[Candidate], ranked: list[Candidate], question: str) -> list[Candidate]:
    """The chosen sentences, each that does not state the asked kind followed by the first of the next
    NEXT_SENTENCES of its article (in the retrieved paragraphs) that does ("Nissan has named a lifetime
    employee ..." then "Toshiyuki Shiga will run Nissan ...")."""
    a = asked(question)
    if not a.typed:
        return chosen
    order = sorted(ranked, key=lambda c: (c.passage.article_id, c.passage.paragraph, c.passage.part, c.index))
    place = {id(c): k for k, c in enumerate(order)}
    out = list(chosen)
    for c in chosen:
        if c.gives:
            continue
        k = place[id(c)]
        after = [n for n in order[k + 1: k + 1 + NEXT_SENTENCES] if n.passage.article_id == c.passage.article_id
                 and n.passage.paragraph - c.passage.paragraph <= 1]  # this paragraph or the next
        givers = [n for n in after if n.gives and n.answers]
        # for "who?", the one naming the doer of the asked deed first ("dispatched by fellow American Robby
        # Ginepri" for "Who beat Young?", not a sentence naming the Australian Open)
        found = next((n for n in givers if a.kind != "person" or states_deed(a, n.sentence)), None) or next(
            iter(givers), None)
        if found is not None and found not in out:
            out.append(found)
    return out


NEXT_SENTENCES = 2


def with_follow_ups(question: str, result: SearchResult, ranked: list[Candidate]) -> list[Candidate]:
    """The ranking with each sentence the extractive answer would add after a chosen one that does not give
    the asked kind (`with_next_answering`, the next paragraph read as context too) moved just below it, so
    an LLM is shown "The woman, Robin Mantooth, said ..." beside "... is being sued by his ex-girlfriend"."""
    if not ranked or not asked(question).typed:
        return ranked
    chosen = choose_answering(ranked, question)
    added = [c for c in with_next_answering(chosen, ranked + neighbour_candidates(question, result, ranked), question)
             if c not in chosen]
    if not added:
        return ranked
    lead = {id(f): max(c.score for c in chosen if c.passage.article_id == f.passage.article_id) for f in added}
    moved = [replace(f, score=lead[id(f)] - 1e-6) for f in added]
    rest = [c for c in ranked if all(c is not f for f in added)]
    return sorted(rest + moved, key=lambda c: -c.score)


LIST_ARTICLES = 10  # articles a list answer shows, one line each; the rest are counted
LIST_SHARE = 0.75  # an article's best answering sentence scores at least this share of the best one
LIST_STATING_SHARE = 0.5  # the same, among sentences stating the question's predicate of its class


def answer_list(question: str, result: SearchResult, ranked: list[Candidate]) -> Answer:
    """For a question asking for every instance ("Which companies have recalled products?"): the best
    answering sentence of each article that answers, one line per article (outlet and date first), each
    cited, up to LIST_ARTICLES, then how many more articles answer. When sentences of at least two
    articles state the question's predicate of an instance of its class (listing.answers_list), only
    those are lines: "actor Jamie Foxx performed" under "Which actors have died?" names another person;
    for a predicate whose near-synonyms are unknown, those come first. A line whose subject describes
    the instance without naming it is followed by the next sentence when that names someone."""
    lq = list_question(question)
    stating = [c for c in ranked if c.answers and lq is not None
               and answers_list(lq, c.sentence, c.passage.title or "", c.passage.text)]
    best: dict[str, Candidate] = {}
    if len({c.passage.article_id for c in stating}) >= LIST_MIN_ARTICLES:
        # the surest lines first: a class word before the predicate, then a name as its subject, then a
        # class word after it ("accused of anti-Semitism over a poster")
        tier = {id(c): TIERS.index(answers_list(lq, c.sentence, c.passage.title or "", c.passage.text))
                for c in stating}
        floor = stating[0].score * LIST_STATING_SHARE
        for c in sorted(stating, key=lambda c: (tier[id(c)], -c.score)):
            if c.score >= floor and c.passage.article_id not in best:
                best[c.passage.article_id] = c
    if not best or (lq is not None and lq.predicate and not lq.known):
        # an unknown predicate ("recalling") may be worded otherwise too: after the articles stating its
        # word, the best sentence of each other article
        floor = ranked[0].score * LIST_SHARE
        for c in ranked:
            if c.answers and c.score >= floor and c.passage.article_id not in best:
                best[c.passage.article_id] = c
    shown = list(best.values())[:LIST_ARTICLES]
    if not any(names_instance(c.sentence, asked(question).names) for c in shown):
        # "Which UK Coal mines were hit by geological problems?": "blamed geological problems at its deep
        # mines" names none of them
        return abstention_holding(question, result, ranked, "extractive", notice=NO_LLM_NOTICE)
    pieces = []
    for c in shown:
        pieces.append((c.sentence, c.passage))
        if lq is not None and describes_instance(c.sentence):
            follower = _next_sentence(result, c)
            if follower is not None and names_someone(follower[0]):
                pieces.append(follower)
    text, citations = number_citations(_evidence_only(pieces))
    more = len(best) - len(shown)
    if more:
        text += f"\n... and {more} more article{'s' if more > 1 else ''} (ask with a narrower question to see them)."
    return Answer(question, text, False, "extractive", citations, result.passages, notice=NO_LLM_NOTICE)


def _next_sentence(result: SearchResult, c: Candidate) -> tuple[str, Passage] | None:
    """The sentence after `c` in its paragraph, or the first of the next paragraph (retrieved, or read as
    context), with its passage."""
    sentences = split_sentences(c.passage.text)
    at = next((k for k, sentence in enumerate(sentences) if c.sentence in sentence), c.index)
    if at + 1 < len(sentences):
        return sentences[at + 1], c.passage
    known = {(p.article_id, p.paragraph, p.part): p for p in (*result.passages, *result.context)}
    after = known.get((c.passage.article_id, c.passage.paragraph, c.passage.part + 1)) or known.get(
        (c.passage.article_id, c.passage.paragraph + 1, 0))
    following = split_sentences(after.text) if after is not None else []
    return (following[0], after) if following else None


def date_prefix(dates: list[DateMention]) -> str:
    """`Tuesday (2024-11-05)`: the words of the article, then the date they mean, day-precise ones first."""
    ordered = sorted(dates, key=lambda d: d.granularity != "day")[:2]
    prefix = ", ".join(f"{d.phrase} ({d.label})" for d in ordered)
    return prefix[:1].upper() + prefix[1:]


def answer_who_said(question: str, result: SearchResult, embedder: Embedder,
                    ranked: list[Candidate] | None = None) -> Answer:
    """For "what did X say?": each of X's statements among the passages, one per paragraph (the
    sentences holding its quote, or the attributing sentence), in article order, each cited; on a topic,
    with the sentence naming X that answers it better than every statement (evidence.speaker_sentence).
    `ranked`: topic_ranking's result, when the caller has it."""
    if off_topic(result, embedder):
        return abstention_off_topic(question, result, "extractive", notice=NO_LLM_NOTICE)
    ranked = topic_ranking(question, result, embedder) if ranked is None else ranked
    passages, quotes = statement_evidence(result, speaker_sentence(result, ranked), ranked)
    pieces = _evidence_only(list(zip(quotes, passages)))
    if not pieces:
        return abstention(question, result, "extractive", notice=NO_LLM_NOTICE)
    text, citations = number_citations(pieces)
    return Answer(question, text, False, "extractive", citations, result.passages, notice=NO_LLM_NOTICE)
