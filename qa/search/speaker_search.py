"""Speaker-aware search: "what did X say (about T)?" and "how did X react to ...?" questions.

Apart from the hybrid search (qa.search.retriever) because it is a ranking of its own over the speakers'
paragraphs (attributed or naming them), tuned on PolNeAR (bench/archive_speakers.py, bench/speakers.py);
the `Retriever` hands a who-said question to it after the hybrid ranking. It shares the retriever's
measures (qa.search.ranking), not its module.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..ingest.documents import split_sentences
from ..index.records import Passage, StatementRecord
from .ranking import RRF_K, SearchResult, SupportMeasures, fts_query, fuse, query_terms
from .speakers import (TITLE_WORDS, SpeakerMatch, ambiguous_names, full_name, holds_role, mentions, name_forms,
                       parse_speaker_question, relation_of, resolve_speakers, speaker_features, speaker_score, speaks_for, split_names, stance,
                       titled_plainly)

if TYPE_CHECKING:
    from ..ingest.embeddings import Embedder

# "How did X react to Y?": the paragraphs attributed to or naming X, in hybrid order, join the fusion as a
# third ranking with half BM25's weight: a lift, never a filter.
SPEAKER_BOOST = 0.5
# A paragraph this close to a who-said question's topic (cosine of MiniLM vectors) touches the topic even
# without one of its words ("war" for "Iraq").
TOPIC_COSINE = 0.5
# "What did X say about T?": the candidates touching T rank by a weighted sum of the share of T's words they
# hold (rarity-weighted), the learned chance they hold X's statement (`speaker_score` as a probability),
# being attributed to X by the rules, 1 / (1 + rank) by relevance to T alone and to the whole question, and
# the share of T's words inside X's statements or sentences naming X.
# Grid-searched on PolNeAR dev (bench/archive_speakers.py); checked on train.
TOPIC_WEIGHTS = (1.0, 0.4, 0.1, 0.1, 0.2, 0.5)
# Taken off that sum for a paragraph not credited to X where someone else's statement shares a sentence with
# X's name (Gerry Conlon on Tony Blair's apology, against Blair's own): it decides near-ties only. On PolNeAR
# dev any value from 0.025 to 0.1 leaves the archive numbers unchanged; the BBC archive questions need > 0.02.
SPOKEN_ABOUT = 0.05
# A speaker the attribution knows only by a title: "the minister", "the chancellor".
_TITLE_ONLY_RE = re.compile(r"[Tt]he (?:[a-z][\w-]* ){0,2}[a-z][\w-]*")
# "the chairman", "the chief executive": a title with no name, which fits someone in many articles
_BARE_TITLE_RE = re.compile(r"[Tt]he(?: [a-z][\w-]*){1,3}")
TITLE_TOPIC_DEPTH = 50  # hybrid results read for the first article holding someone the bare title fits


def _opening(sentence: str) -> str:
    """A sentence without its opening quotation mark and honorific: "“Mr. Blair said" -> "Blair said"."""
    return re.sub(r"^[\s“\"'‘(]*(?:(?:Mr|Mrs|Ms|Miss|Dr|Sir|Lord|Lady)\.?\s+)?", "", sentence)


class SpeakerSearch:
    """The who-said half of a `Retriever`: reads its index and uses its evidence measures."""

    def __init__(self, measures: SupportMeasures, embedder: Embedder):
        self.measures = measures
        self.store = measures.store
        self.embedder = embedder

    def match(self, question: str, article_ids: list[str] | None = None) -> SpeakerMatch | None:
        """For "what did X say?" questions, the indexed speakers X names ("X and Y": both); None for other
        questions."""
        asked = parse_speaker_question(question)
        if asked is None:
            return None
        everyone = self.store.speakers(article_ids)
        speakers = self._resolve(asked.phrase, everyone)
        phrases = split_names(asked.phrase)
        # "Klingner and Pardo" is two people when each part names someone; "Marks and Spencer" stays one
        if asked.mode == "names":
            if not all(self._resolve(phrase, everyone) for phrase in phrases):
                return None
            asked = replace(asked, mode="said")
        if len(phrases) > 1 and all(self._resolve(phrase, everyone) for phrase in phrases):
            parts = []
            for phrase in phrases:
                found = self._resolve(phrase, everyone)
                forms = name_forms(phrase, found)
                if found or forms:
                    parts.append(SpeakerMatch(replace(asked, phrase=phrase), found, tuple(forms),
                                              ambiguous_names(found)))
            if not parts:
                return None
            return SpeakerMatch(asked, tuple(dict.fromkeys(s for m in parts for s in m.speakers)),
                                tuple(dict.fromkeys(f for m in parts for f in m.forms)),
                                tuple(n for m in parts for n in m.ambiguous), parts=tuple(parts))
        forms = name_forms(asked.phrase, speakers)
        if not speakers and not forms:
            return None
        return SpeakerMatch(asked, speakers, tuple(forms), ambiguous_names(speakers))

    def _resolve(self, phrase: str, everyone: list) -> tuple:
        """`resolve_speakers`, except that for a full name ("Quentin Davies") a speaker known only by the surname
        counts only in an article that gives the full name, unless the asked person is quoted under it too
        (then `resolve_speakers` judged whose the bare surname is)."""
        relation = relation_of(phrase)  # "C-Murder's lawyer": the lawyer in articles naming C-Murder, first
        found = (self._by_relation(*relation, everyone) if relation else ()) or resolve_speakers(phrase, everyone)
        found = self._by_title(phrase, found, everyone)
        if full_name(phrase):
            found = self._called_by_title(phrase, found, everyone)
        if not found or not full_name(phrase):
            return found
        surname_only = [s for s in found if s.kind == "person" and len(s.name.split()) == 1]
        if not surname_only or len(surname_only) < len(found):
            return found
        whole = re.sub(r"^(?:\S+\.?\s+)*?(?=[A-Z][^.\s]*\s+[A-Z])", "", phrase).replace('"', "")
        hits = [pid for pid, _ in self.store.lexical_search(f'"{whole}"', 1000, None)]
        named_in = {p.article_id for p in self.store.passages(hits).values() if whole in p.text}
        return tuple(s for s in found if s.article_id in named_in)

    def _by_title(self, phrase: str, found: tuple, everyone: list) -> tuple:
        """"The chancellor": besides the speakers called that (`found`), the people the articles give that title
        unqualified ("Chancellor Gordon Brown", not "shadow chancellor" or "German Chancellor"), also where an
        article calls them by it only in passing ("The chancellor, speaking during ..., said ..." of a Gordon
        Brown quoted by name). People matched by a descriptor giving another post ("shadow chancellor") are left
        out; speakers called by the title itself (an unnamed "the Chancellor") stay."""
        words = phrase.split()
        if len(words) < 2 or words[0].lower() != "the":
            return found
        titled = [s for s in everyone if titled_plainly(s, phrase)]
        names = {s.name for s in titled if len(s.name.split()) > 1}
        if not names:
            return found
        head = words[-1].lower()
        hits = self.store.passages(pid for pid, _ in self.store.lexical_search(f'"{head}"', 5000, None)).values()
        calling = {p.article_id for p in hits if head in p.text.lower()}
        more = [s for s in everyone if s.name in names and s.article_id in calling]
        # a person found only through a descriptor naming another post is not the one asked about
        kept = [s for s in found if s.kind != "person" or s.name.split()[-1].lower() in TITLE_WORDS]
        return tuple(sorted({s.id: s for s in (*kept, *titled, *more)}.values(), key=lambda s: s.id))

    def _called_by_title(self, phrase: str, found: tuple, everyone: list) -> tuple:
        """A full name ("Cathy Jamieson"): besides `found`, the speaker an article quotes only by a title it
        gives that person ("Justice Minister Cathy Jamieson has decided ..." then "The minister said: ...").
        The attribution cannot join the two when the name is never beside the quote."""
        surname = phrase.split()[-1]
        titled = [s for s in everyone if _TITLE_ONLY_RE.fullmatch(s.name)]
        if not titled or not re.fullmatch(r"[\w'’-]+", surname):
            return found
        hits = self.store.passages(pid for pid, _ in self.store.lexical_search(f'"{surname}"', 1000, None)).values()
        texts: dict[str, str] = {}
        for p in hits:
            texts[p.article_id] = f"{texts.get(p.article_id, '')} {p.text}"
        more = []
        for s in titled:
            head = s.name.split()[-1]
            if s.article_id in texts and re.search(rf"\b{re.escape(head)}\s+(?:[A-Z][\w'’.-]*\s+){{0,3}}{re.escape(surname)}\b",
                                                   texts[s.article_id], re.IGNORECASE):
                more.append(s)
        if not more:
            return found
        return tuple(sorted({r.id: r for r in (*found, *more)}.values(), key=lambda r: r.id))

    def _by_relation(self, owner: str, role: str, everyone: list) -> tuple:
        """The speakers named by role and relation ("C-Murder's lawyer"): in an article naming the owner,
        each person whose descriptor, or the words before their name, give the role (speakers.holds_role)."""
        query = " ".join(f'"{w}"' for w in re.findall(r"[\w]+", owner))
        if not query:
            return ()
        hits = self.store.passages(pid for pid, _ in self.store.lexical_search(query, 1000, None)).values()
        texts: dict[str, list[str]] = {}
        for p in hits:
            if owner in p.text or owner in (p.title or ""):
                texts.setdefault(p.article_id, []).append(f"{p.title or ''}. {p.text}")
        # the role may be given in another paragraph of the article ("Norfolk police chief Andy Hayman" ...
        # "Chief constable Mr Hayman"): those paragraphs are read too (`holds_role` reads them strictly)
        speaking = {s.article_id for s in everyone if s.article_id in texts}
        if speaking and re.fullmatch(r"[\w-]+", role):
            for p in self.store.passages(pid for pid, _ in self.store.lexical_search(f'"{role}"', 1000, None)).values():
                if p.article_id in speaking and owner not in p.text:
                    texts[p.article_id].append(p.text)
        return tuple(s for s in everyone if s.article_id in texts and holds_role(s, owner, role, texts[s.article_id]))

    def boost(self, match: SpeakerMatch, fused: list[tuple[int, float]], allowed: set[int] | None
                       ) -> list[tuple[int, float]]:
        """The hybrid ranking with the speaker's paragraphs (attributed or naming them) lifted, for questions
        that name someone without asking only for their words ("How did the Tories react to ...?")."""
        pool = {pid for s in match.speakers for pid in s.paragraph_ids} | set(self._name_mentions(match.forms, allowed, match))
        if allowed is not None:
            pool &= allowed
        if not pool:
            return fused
        ranked = [pid for pid, _ in fused if pid in pool]
        if not ranked:
            return fused
        scores = dict(fused)
        for rank, pid in enumerate(ranked):
            scores[pid] += SPEAKER_BOOST / (RRF_K + rank + 1)
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))

    def _name_mentions(self, forms: tuple[str, ...], allowed: set[int] | None,
                       asked: SpeakerMatch | None = None) -> dict[int, str]:
        """Paragraphs naming the speaker, by how: "voiced" (the name is the subject of a verb of saying
        or stance, "Christie attacked ..."), "subject" (of another verb) or "mention". For a person asked
        by full name (`asked`), the bare surname counts only in articles that give the full name or quote
        the matched speaker: elsewhere "Davies" is likely another Davies."""
        if not forms:
            return {}
        match = " OR ".join('"%s"' % f.replace('"', "") for f in forms)
        ids = [pid for pid, _ in self.store.lexical_search(match, 1000, allowed)]
        found = self.store.passages(ids)
        whole = [f for f in forms if len(f.split()) > 1]
        home: set[str] | None = None
        if asked is not None and whole and full_name(asked.question.phrase):
            home = {s.article_id for s in asked.speakers} | {
                p.article_id for p in found.values()
                if any(re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", p.text) for f in whole)}
        out = {}
        for pid in ids:
            if pid in found:
                own_forms = list(forms) if home is None or found[pid].article_id in home else whole
                mentioned, acts = mentions(found[pid].text, own_forms)
                if acts:
                    out[pid] = "voiced" if stance(found[pid].text, own_forms) else "subject"
                elif mentioned:
                    out[pid] = "mention"
        return out

    def candidates(self, match: SpeakerMatch, fused: list[tuple[int, float]], allowed: set[int] | None
                           ) -> tuple[set[int], dict[int, dict[str, float]], dict[int, Passage]]:
        """The paragraphs attributed to the speaker (`own`), the `speaker_features` of those and of
        every paragraph naming them, in hybrid-rank order, and those passages."""
        own = {pid for s in match.speakers for pid in s.paragraph_ids}
        if allowed is not None:
            own &= allowed
        named = self._name_mentions(match.forms, allowed, match)
        names = {s.name for s in match.speakers}
        pool = own | set(named)
        statements = self.store.statements(pool)
        # A paragraph credited to the speaker only through a title before the name ("Clinton spokesman Nick
        # Merrill says that ...") mostly introduces them with a paraphrase: it ranks by its score with the
        # paragraphs naming them, not in the block of their own statements.
        own = {pid for pid in own if any(s.speaker in names and s.reference != "titled name"
                                         for s in statements.get(pid, []))}
        texts = self.store.passages(pool)
        forms = list(match.forms)
        by_name = {(texts[pid].article_id, texts[pid].paragraph) for pid in pool if pid in texts and any(
            s.speaker in names and s.reference in ("name", "short name") for s in statements.get(pid, []))}
        fused_rank = {pid: r for r, (pid, _) in enumerate(fused)}
        out = {}
        for pid in sorted(pool, key=lambda pid: fused_rank.get(pid, len(fused_rank))):
            if pid not in texts:
                continue
            p, found = texts[pid], statements.get(pid, [])
            out[pid] = speaker_features(
                p.text, forms, {s.reference for s in found if s.speaker in names}, named.get(pid),
                any(s.speaker not in names and not speaks_for(p.text, s.speaker, forms) for s in found),
                after_own=(p.article_id, p.paragraph - 1) in by_name,
                first=p.paragraph == 1, hybrid_rank=fused_rank.get(pid))
        return own, out, texts

    def search(self, question: str, k: int, match: SpeakerMatch, terms: list[str], query_vector: np.ndarray,
               fused: list[tuple[int, float]], allowed: set[int] | None) -> SearchResult | None:
        """The result for a who-said question, from the hybrid ranking `fused`; None when the speaker is
        neither quoted nor named anywhere in scope (the hybrid results then stand)."""
        match = self._titled_on_topic(match, fused)
        if len(match.parts) > 1:
            return self._speakers_search(question, k, match, terms, query_vector, fused, allowed)
        return self._speaker_search(question, k, match, terms, query_vector, fused, allowed)

    def _titled_on_topic(self, match: SpeakerMatch, fused: list[tuple[int, float]]) -> SpeakerMatch:
        """"What did the chairman say about T?": a bare title fits people in many articles; the one asked about
        is the one so titled in the article the question retrieves first (the hybrid ranking `fused`), with
        that person's statements elsewhere. The match is unchanged for a name, for a question without a topic,
        or when the titled people are all of one article or of none retrieved."""
        if not match.question.topic or not _BARE_TITLE_RE.fullmatch(match.question.phrase) or match.parts:
            return match
        articles = {s.article_id for s in match.speakers}
        if len(articles) < 2:
            return match
        ids = [pid for pid, _ in fused[:TITLE_TOPIC_DEPTH]]
        found = self.store.passages(ids)
        top = next((found[pid].article_id for pid in ids if pid in found and found[pid].article_id in articles), None)
        if top is None:
            return match
        names = {s.name for s in match.speakers if s.article_id == top and s.kind == "person"}
        kept = tuple(s for s in match.speakers if s.article_id == top or s.name in names)
        return replace(match, speakers=kept, forms=tuple(name_forms(match.question.phrase, kept)),
                       ambiguous=ambiguous_names(kept))

    def _speakers_search(self, question: str, k: int, match: SpeakerMatch, terms: list[str],
                         query_vector: np.ndarray, fused: list[tuple[int, float]], allowed: set[int] | None
                         ) -> SearchResult | None:
        """"What did X and Y say?": each person's own results, taken in turn (X's first, Y's first, X's
        second, ...), so that neither crowds the other out."""
        results = [r for part in match.parts
                   if (r := self._speaker_search(question, k, part, terms, query_vector, fused, allowed)) is not None]
        if not results:
            return None
        merged: dict[int, Passage] = {}
        for turn in range(max(len(r.passages) for r in results)):
            for r in results:
                if turn < len(r.passages):
                    merged.setdefault(r.passages[turn].id, r.passages[turn])
        statements: dict[int, list[StatementRecord]] = {}
        for r in results:
            for pid, found in r.statements.items():
                statements.setdefault(pid, []).extend(s for s in found if s not in statements.get(pid, []))
        evidence = {pid: e for r in results for pid, e in r.evidence.items()}
        return SearchResult(query=question, passages=list(merged.values()), evidence=evidence, terms=tuple(terms),
                            speaker=replace(match, on_topic=any(r.speaker.on_topic for r in results if r.speaker)),
                            statements=statements)

    def _speaker_search(self, question: str, k: int, match: SpeakerMatch, terms: list[str],
                        query_vector: np.ndarray, fused: list[tuple[int, float]], allowed: set[int] | None
                        ) -> SearchResult | None:
        """The speaker's paragraphs by learned score (`speaker_score`), ties by hybrid rank; of the top k,
        the ones attributed to the speaker stay together, in article order (or by the question's topic
        when it has one), where the first of them ranks; then the usual hybrid results.
        Attributed passages score 1 + their hybrid score, named ones 0.5 + it. None when the speaker
        is neither quoted nor named anywhere in scope."""
        own, scored, texts = self.candidates(match, fused, allowed)
        if not scored:
            return None
        topic_terms = query_terms(match.question.topic) if match.question.topic else []
        if topic_terms:
            return self._speaker_topic_search(question, k, match, terms, topic_terms, query_vector, fused, allowed,
                                              own, scored, texts)
        candidates = sorted(scored, key=lambda pid: -speaker_score(scored[pid]))  # stable: hybrid rank breaks ties
        chosen = {pid: texts[pid] for pid in candidates[:k] if pid in texts}
        attributed = sorted((p for pid, p in chosen.items() if pid in own),
                            key=lambda p: (p.date or "", p.article_id, p.paragraph, p.part))
        topic_terms = query_terms(match.question.topic) if match.question.topic else []
        if topic_terms and len(attributed) > 1:
            ids = {p.id for p in attributed}
            topic_vector = self.embedder.encode_query(match.question.topic)
            dense = self.store.dense_search(topic_vector, len(ids), ids)
            lexical = self.store.lexical_search(fts_query(topic_terms), len(ids), ids)
            ranking = fuse([[pid for pid, _ in dense], [pid for pid, _ in lexical]])
            topic_rank = {pid: r for r, (pid, _) in enumerate(ranking)}
            attributed.sort(key=lambda p: topic_rank.get(p.id, len(topic_rank)))  # stable: article order breaks ties
        fused_score = dict(fused)
        named_only = [replace(chosen[pid], score=0.5 + fused_score.get(pid, 0.0))
                      for pid in candidates[:k] if pid in chosen and pid not in own]
        block = next((i for i, pid in enumerate(candidates[:k]) if pid in own), len(named_only))
        passages = [*named_only[:block], *(replace(p, score=1.0 + fused_score.get(p.id, 0.0)) for p in attributed),
                    *named_only[block:]]
        if len(passages) < k:
            taken = own | set(scored)
            rest = [(pid, score) for pid, score in fused if pid not in taken][: k - len(passages)]
            more = self.store.passages([pid for pid, _ in rest])
            passages += [replace(more[pid], score=score) for pid, score in rest if pid in more]
        return SearchResult(
            query=question,
            passages=passages,
            evidence=self.measures.evidence(terms, query_vector, passages, allowed),
            terms=tuple(terms),
            speaker=match,
            statements=self.store.statements([p.id for p in passages if p.id in own], [s.id for s in match.speakers]),
        )

    def _speaker_topic_search(self, question: str, k: int, match: SpeakerMatch, terms: list[str],
                              topic_terms: list[str], query_vector: np.ndarray, fused: list[tuple[int, float]],
                              allowed: set[int] | None, own: set[int], scored: dict[int, dict[str, float]],
                              texts: dict[int, Passage]) -> SearchResult:
        """"What did X say about T?": of the paragraphs attributed to or naming X, first X's statements that
        touch T, then the others touching T, then X's other statements, each group by its relevance to T
        (dense and BM25 on T alone, fused); then the usual hybrid results. When none of X's statements
        touches T the result says so (`on_topic` False) and leads with the hybrid results among the
        paragraphs naming X."""
        pool = list(scored)
        topic_rank, coverage, touching = self._topic_ranking(match.question.topic, topic_terms, pool)
        chance = {pid: 1.0 / (1.0 + math.exp(-speaker_score(scored[pid]))) for pid in pool}
        # A statement credited through a title ("Conservative family spokeswoman Theresa May said ...") is
        # left out of `own` (it mostly introduces the speaker), but on a topic it is the speaker's word on it.
        credited = {pid for s in match.speakers for pid in s.paragraph_ids}
        statement = {pid for pid in pool if pid in own or pid in credited or chance[pid] > 0.5}
        fused_rank = {pid: r for r, (pid, _) in enumerate(fused)}
        on_topic = bool(statement & touching)

        def group(pid: int) -> int:
            if pid in touching:
                return 0 if pid in statement else 1
            return 2 if pid in statement else 3

        near = self._topic_near_speaker(topic_terms, [pid for pid in pool if pid in touching], own, match, texts)
        spoken_about = self._spoken_about([pid for pid in pool if pid in touching and pid not in credited], match, texts)

        def relevance(pid: int) -> float:
            w_cover, w_chance, w_own, w_topic, w_hybrid, w_near = TOPIC_WEIGHTS
            return (w_cover * coverage.get(pid, 0.0) + w_chance * chance[pid] + w_own * (pid in own)
                    + w_topic / (1 + topic_rank.get(pid, len(pool))) + w_hybrid / (1 + fused_rank.get(pid, len(fused)))
                    + w_near * near.get(pid, 0.0) - SPOKEN_ABOUT * (pid in spoken_about))

        if on_topic:  # what touches the topic, best first; then the speaker's other statements
            ordered = [*sorted((pid for pid in pool if pid in touching), key=lambda pid: -relevance(pid)),
                       *sorted((pid for pid in pool if pid not in touching),
                               key=lambda pid: (group(pid), -chance[pid], fused_rank.get(pid, len(fused))))]
        else:  # what names the speaker by relevance to the topic (no word of it: by meaning), statements first
            ordered = sorted(pool, key=lambda pid: (group(pid) % 2, topic_rank.get(pid, len(pool))))
        ordered = [pid for pid in ordered if group(pid) < 3]  # mere mentions off the topic: hybrid order decides
        chosen = ordered[: k * 3 + 10]  # room for wire copies that collapse
        taken = set(chosen)
        rest = [pid for pid, _ in fused if pid not in taken][: max(k * 3 + 10 - len(chosen), k)]
        found = {**texts, **self.store.passages([pid for pid in rest if pid not in texts])}
        fused_score = dict(fused)
        passages = [replace(found[pid], score=(2.0 - group(pid) * 0.5) + fused_score.get(pid, 0.0))
                    for pid in chosen if pid in found]
        tail = [replace(found[pid], score=fused_score.get(pid, 0.0)) for pid in rest if pid in found]
        # The last fifth of the k goes to the best hybrid results the speaker's candidates left out (a statement
        # the attribution missed): before, PolNeAR dev's archive R@10 fell below BM25's.
        reserve = min(len(tail), k // 5) if len(passages) > k - k // 5 else 0
        passages = [*passages[: k - reserve], *tail[:reserve], *passages[k - reserve :], *tail[reserve:]]
        shown = passages[: k * 3 + 10]
        return SearchResult(
            query=question,
            passages=shown,
            evidence=self.measures.evidence(terms, query_vector, shown, allowed),
            terms=tuple(terms),
            speaker=replace(match, on_topic=on_topic),
            # credited through a title too: on a topic, those are the speaker's words on it
            statements=self.store.statements([p.id for p in shown if p.id in own or p.id in credited],
                                             [s.id for s in match.speakers]),
        )

    def _spoken_about(self, ids: list[int], match: SpeakerMatch, texts: dict[int, Passage]) -> set[int]:
        """The paragraphs where someone else's statement shares a sentence with the speaker's name: "He said
        Mr Blair had spoken with 'such sincerity'" is Conlon on Blair, not Blair."""
        if not ids or not match.forms:
            return set()
        names = {s.name for s in match.speakers}
        statements = self.store.statements(ids)
        forms = [re.compile(rf"(?<![\w-]){re.escape(f)}(?![\w-])") for f in match.forms]
        out = set()
        for pid in ids:
            # "Hillary Clinton's campaign", "Mr Blair's official spokesman": the speaker's own side
            others = [st for st in statements.get(pid, [])
                      if st.speaker not in names and not any(f.search(st.speaker) for f in forms)]
            if not others or pid not in texts:
                continue
            text = texts[pid].text
            spans = [(at, at + len(st.text)) for st in others if (at := text.find(st.text)) >= 0]
            at = 0
            for sentence in split_sentences(text):
                start = text.find(sentence, at)
                if start < 0:
                    continue
                at = end = start + len(sentence)
                # a sentence opening with the name has the speaker for its subject ("Mrs. Clinton has been frank
                # in her acknowledgment that ..."), whoever the statement went to
                if (any(f.search(sentence) for f in forms) and not any(f.match(_opening(sentence)) for f in forms)
                        and any(a < end and start < b for a, b in spans)):
                    out.add(pid)
                    break
        return out

    def _topic_near_speaker(self, topic_terms: list[str], ids: list[int], own: set[int], match: SpeakerMatch,
                            texts: dict[int, Passage]) -> dict[int, float]:
        """The share of the topic's words (by word prefix: the index stems with Porter) inside the speaker's
        statements in the paragraph or in a sentence naming them: "Mr Clarke says he does not intend to use
        the house arrest powers" is about house arrest; a paragraph whose other sentence is, less so."""
        if not topic_terms or not ids:
            return {}
        statements = self.store.statements([pid for pid in ids if pid in own], [s.id for s in match.speakers])
        stems = [re.compile(rf"\b{re.escape(t[: max(4, len(t) - 2)])}", re.IGNORECASE) for t in topic_terms]
        forms = [re.compile(rf"(?<![\w-]){re.escape(f)}(?![\w-])") for f in match.forms]
        out = {}
        for pid in ids:
            spans = [st.text for st in statements.get(pid, [])]
            spans += [s for s in split_sentences(texts[pid].text) if any(f.search(s) for f in forms)]
            out[pid] = sum(1 for stem in stems if any(stem.search(span) for span in spans)) / len(stems)
        return out

    def _topic_ranking(self, topic: str, topic_terms: list[str], pool: list[int]
                       ) -> tuple[dict[int, int], dict[int, float], set[int]]:
        """The pool's paragraphs by relevance to the topic (dense and BM25 on the topic alone, fused), how
        much of the topic's words each holds (rarer words weigh more), and those that touch the topic:
        hold one of its words, or are close to it in meaning."""
        if not pool:
            return {}, {}, set()
        vector = self.embedder.encode_query(topic)
        cosines = self.measures.cosines(vector, pool)
        dense = sorted(pool, key=lambda pid: -cosines.get(pid, 0.0))
        lexical = self.store.lexical_scores(fts_query(topic_terms), pool)
        lexical.sort(key=lambda row: -row[1])
        ranking = [pid for pid, _ in fuse([dense, [pid for pid, _ in lexical]])]
        present = self.measures.terms_present(topic_terms, [pid for pid, _ in lexical])
        weights = self.measures.term_weights(topic_terms, self.store.term_document_frequency(topic_terms)) if present else {}
        total = sum(weights.values()) or 1.0
        coverage = {pid: sum(weights.get(t, 0.0) for t in found) / total for pid, found in present.items()}
        touching = {pid for pid, _ in lexical} | {pid for pid in pool if cosines.get(pid, 0.0) >= TOPIC_COSINE}
        return {pid: r for r, pid in enumerate(ranking)}, coverage, touching
