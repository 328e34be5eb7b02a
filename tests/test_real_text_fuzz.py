"""Real news text and its web-shaped mutations through attribution, dates and the loaders
(bench/fuzz_real_text.py; the full run is there). A bounded, seeded sample: from ../shared/bench-data
when it is present, else from the fuzzer's built-in news lines, so it always tests something."""

from __future__ import annotations

import random
import time

from bench.fuzz_real_text import BUILT_IN, MUTATIONS, Findings, check_attribution, corpus, report, run

SAMPLE = 250  # paragraphs; each also gives a small article and four files
BUDGET_S = 40  # stop early on a busy machine: a smaller sample, not a slow suite


def test_real_news_text_and_its_mutations_never_crash_a_stage():
    paragraphs, source = corpus()
    started = time.monotonic()
    found = run(paragraphs, seed=20261206, limit=SAMPLE, html_every=25, deadline=started + BUDGET_S)
    text = report(found, source, time.monotonic() - started)
    assert found.failed == 0, text
    assert found.inputs["attribution"] >= min(len(MUTATIONS), len(paragraphs)), text  # every mutation ran
    assert found.inputs["loader .jsonl"] and found.inputs["loader .html"], text


def test_the_built_in_lines_alone_cover_every_mutation():
    """Without bench-data: the built-in lines under every mutation, each stage."""
    found = run(list(BUILT_IN) * 3, seed=7, html_every=10)
    assert found.failed == 0, report(found, "built-in", 0)
    assert all(found.inputs[f"mutation {name}"] for name in MUTATIONS)


def test_the_headline_that_sank_a_batch_is_a_finding_it_would_report():
    """The fuzzer's checks catch what they should: a labelled headline in every shape it mutates into."""
    found = Findings()
    rng = random.Random(1)
    for label in ("Explained", "Said", "Continued", "Added"):
        for name in ("headline colon", "transcript", "lone name"):
            check_attribution([MUTATIONS[name](f"{label}: the links between Bill Gates and Jeffrey Epstein", rng)],
                              found, "2024-11-07")
    assert found.inputs["attribution"] == 12 and found.failed == 0, found.failures
