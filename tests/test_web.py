"""The page at `qa serve`'s `/`, driven in a real browser: Debian's chromium, headless, through
Selenium and chromedriver (both from apt, never downloaded at run time), against a real `qa serve`
on loopback with a token, over the sample article and the example news (extractive answers).

UPDATE_SCREENSHOTS=1 also writes the screenshots docs/serve.md shows (docs/web-*.png)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.test_serve import TOKEN, Server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL = "sudo apt-get install -y chromium chromium-driver (./setup.sh does it when it can)"
WAIT = 90  # seconds for an answer: the server shares 2 cores with other work
HOSTILE = {
    "id": "hostile-harbour",
    "title": "<img src=x onerror=\"window.__pwned='title'; document.title='pwned'\">Harbour dredging plan",
    "source": "<script>window.__pwned='source'</script>Quay Gazette",
    "date": "2024-11-09",
    "byline": "<b onmouseover=\"window.__pwned='byline'\">Eve</b>",
    "url": "javascript:window.__pwned='url';document.title='pwned'",
    "text": [
        "The harbour dredging plan was approved on Friday, said Mallory Quayle, the port director.",
        "“The dredging will start in spring <script>window.__pwned='script';document.title='pwned'</script>”, "
        "Mallory Quayle said.",
        "Residents can read the plan <a href=\"javascript:window.__pwned='link'\">here</a> and "
        "<img src=x onerror=\"window.__pwned='img'\"> object to it, Quayle said.",
        "A forged citation: <a class=\"marker\" href=\"javascript:window.__pwned='marker'\" "
        "onclick=\"window.__pwned='marker'\">[1]</a> says the dredging costs nothing, Quayle added.",
    ],
}


@pytest.fixture(scope="module")
def web_index(sample_index, tmp_path_factory) -> Path:
    """The sample article plus the example news (four articles over three days)."""
    from qa.api import QA

    target = tmp_path_factory.mktemp("web") / "index"
    shutil.copytree(sample_index, target)
    with QA(target, llm="none") as bot:
        bot.index([REPO / "examples" / "news"])
    return target


@pytest.fixture(scope="module")
def server(web_index, tmp_path_factory):
    running = Server(["--index", str(web_index)], tmp_path_factory.mktemp("serve"), {"QA_SERVE_TOKEN": TOKEN})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def driver():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail(f"the browser tests need Debian's chromium and chromedriver: {INSTALL}")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service as DriverService
    except ImportError:
        pytest.fail("the browser tests need selenium: pip install -e '.[dev]' (./setup.sh does)")

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=900,1100",
                 "--no-first-run", "--disable-extensions", "--force-color-profile=srgb"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager never looks for (or downloads) a browser or driver.
    browser = webdriver.Chrome(service=DriverService(executable_path=str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


def wait(driver, condition, timeout: float = WAIT):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def visible(driver, css: str, timeout: float = WAIT):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    return wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout)


def enter_token(driver, token: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    visible(driver, "#token-dialog[open]", 30)
    box = driver.find_element(By.ID, "token")
    box.clear()
    box.send_keys(token, Keys.ENTER)  # the keyboard is enough


@pytest.fixture
def page(driver, server):
    """The page, freshly loaded, with the token entered once at its prompt."""
    driver.get(server.url + "/")
    driver.execute_script("sessionStorage.clear()")
    driver.get(server.url + "/")
    enter_token(driver, TOKEN)
    wait(driver, lambda d: "articles" in d.find_element("id", "index-info").text, 30)
    return driver


def ask(driver, question: str) -> object:
    """Type a question, press Enter, and wait for the turn's answer to be complete."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    turns = len(driver.find_elements(By.CSS_SELECTOR, ".turn"))
    box = driver.find_element(By.ID, "question")
    box.send_keys(question, Keys.ENTER)
    turn = f"#conversation .turn:nth-child({turns + 1})"
    return visible(driver, f"{turn}.complete, {turn}.failed")


def test_page_is_served_with_a_strict_policy(server):
    import urllib.request

    with urllib.request.urlopen(server.url + "/", timeout=30) as response:
        policy = response.headers["Content-Security-Policy"]
        html = response.read().decode()
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert '<script src="/static/app.js"' in html and "<script>" not in html  # no inline script
    for name in ("app.js", "style.css"):
        with urllib.request.urlopen(f"{server.url}/static/{name}", timeout=30) as response:
            assert response.status == 200
    # the page's data needs the token, as the rest of the API does
    request = urllib.request.Request(server.url + "/web/info")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401


def test_answer_citation_opens_the_paragraph_marked(page, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    turn = ask(page, "What did Klingner say?")
    assert "complete" in turn.get_attribute("class"), turn.text
    answer = turn.find_element(By.CSS_SELECTOR, ".answer")
    assert "Klingner" in answer.text
    sources = turn.find_elements(By.CSS_SELECTOR, ".sources li")
    assert sources and "¶22" in sources[0].text and "Reuters" in sources[0].text
    assert sources[0].find_element(By.TAG_NAME, "blockquote").text  # the quoted sentence
    people = [a.text for a in turn.find_elements(By.CSS_SELECTOR, ".people-line a")]
    assert "Bruce Klingner" in people
    _screenshot(page, tmp_path, "web-answer.png", turn)

    marker = answer.find_element(By.CSS_SELECTOR, "a.marker")
    assert marker.text == "[1]"
    marker.send_keys(Keys.ENTER)  # a citation opens from the keyboard as well as by a click
    cited = visible(page, "#view-article li.paragraph.cited")
    assert cited.get_attribute("data-paragraph") == "22"
    assert cited.find_element(By.CSS_SELECTOR, ".pnum").text == "¶22"
    mark = cited.find_element(By.CSS_SELECTOR, "mark.quoted")
    assert "Klingner" in mark.text and mark.text in cited.text
    assert page.switch_to.active_element == cited  # focus moved there, so the keyboard carries on from it
    top = page.execute_script("return arguments[0].getBoundingClientRect().top", cited)
    assert 0 <= top < page.execute_script("return window.innerHeight")  # scrolled into view
    meta = page.find_element(By.CSS_SELECTOR, "#article-body .meta").text
    assert "Reuters" in meta and "2024-11-07" in meta and "Josh Smith" in meta
    numbers = [p.text for p in page.find_elements(By.CSS_SELECTOR, "#article-body .pnum")]
    assert numbers[:3] == ["¶1", "¶2", "¶3"]
    _screenshot(page, tmp_path, "web-article.png")

    page.find_element(By.CSS_SELECTOR, "#view-article .back").click()
    visible(page, "#view-ask")
    assert page.find_element(By.CSS_SELECTOR, "#conversation .turn .answer").text == answer.text


def test_follow_up_shows_the_rewritten_question(page):
    from selenium.webdriver.common.by import By

    ask(page, "What did Klingner say?")
    turn = ask(page, "And what did Pardo say?")
    standalone = turn.find_element(By.CSS_SELECTOR, ".standalone")
    assert standalone.is_displayed() and standalone.text == "Searched as: What did Pardo say?"
    assert "Pardo" in turn.find_element(By.CSS_SELECTOR, ".answer").text
    turn = ask(page, "What did he say about Trump?")
    assert "Pardo" in turn.find_element(By.CSS_SELECTOR, ".standalone").text  # "he" is the speaker before


def test_abstention_reads_as_such_with_the_closest_passages(page):
    from selenium.webdriver.common.by import By

    turn = ask(page, "What is the population of Lima, Peru?")
    assert "abstained" in turn.get_attribute("class")
    assert "No answer in the articles" in turn.find_element(By.CSS_SELECTOR, ".answer").text
    assert "don't say" in turn.find_element(By.CSS_SELECTOR, ".answer").text
    assert not turn.find_elements(By.CSS_SELECTOR, ".answer a.marker")  # nothing is cited
    heading = turn.find_element(By.CSS_SELECTOR, ".sources-block h3").text
    assert heading == "What the closest passages say" and turn.find_elements(By.CSS_SELECTOR, ".sources a.cite")


def test_speaker_page_lists_statements_newest_first_and_filters(page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    turn = ask(page, "What did Klingner say?")
    turn.find_element(By.LINK_TEXT, "Bruce Klingner").click()
    count = visible(page, "#person-count")
    wait(page, lambda d: "paragraph" in count.text)
    statements = page.find_elements(By.CSS_SELECTOR, "#person-articles .statements li")
    assert [s.find_element(By.CSS_SELECTOR, ".pnum").text for s in statements] == ["¶22", "¶23", "¶24"]
    assert all(s.find_elements(By.CSS_SELECTOR, "mark.quoted") for s in statements)  # the statement marked
    topic = page.find_element(By.ID, "topic")
    topic.send_keys("Nobel", Keys.ENTER)
    wait(page, lambda d: "Nobel" in count.text)
    statements = page.find_elements(By.CSS_SELECTOR, "#person-articles .statements li")
    assert len(statements) == 1 and "Nobel" in statements[0].text

    # the people list: one row per person, found by any part of the name
    page.find_element(By.ID, "nav-people").click()
    box = visible(page, "#people-query")
    box.send_keys("Klingner", Keys.ENTER)
    wait(page, lambda d: "Bruce Klingner" in d.find_element(By.ID, "people-list").text)
    rows = page.find_elements(By.CSS_SELECTOR, "#people-list li")
    assert len(rows) == 1 and "3 paragraphs" in rows[0].text


def test_date_filter_limits_the_sources(page):
    from selenium.webdriver.common.by import By

    question = "Where did the missiles land?"
    unfiltered = ask(page, question)
    dates = {line.text.split(" · ")[2] for line in unfiltered.find_elements(By.CSS_SELECTOR, ".sources a.cite")}
    assert dates - {"2024-11-08"}, dates  # without the filter, other days' articles answer too
    page.find_element(By.CSS_SELECTOR, "#filters summary").click()
    for field in ("since", "until"):  # a date input takes the digits typed in the browser's order
        page.execute_script("arguments[0].value = '2024-11-08'; arguments[0].dispatchEvent(new Event('change'))",
                            page.find_element(By.ID, field))
    assert "2024-11-08" in page.find_element(By.ID, "filter-summary").text
    filtered = ask(page, question)
    lines = [line.text for line in filtered.find_elements(By.CSS_SELECTOR, ".sources a.cite")]
    assert lines and all("2024-11-08" in line for line in lines), lines

    # the Harbour Herald ran Reuters' wire copy: its article view names the other outlet that carried it
    filtered.find_element(By.CSS_SELECTOR, ".sources a.cite").click()
    visible(page, "#view-article li.paragraph.cited")
    copies = page.find_elements(By.CSS_SELECTOR, "#article-body .copies li")
    assert [c.text.split(" · ")[0] for c in copies] == ["Reuters"] and "in common" in copies[0].text
    copies[0].find_element(By.TAG_NAME, "a").click()  # and opens it
    wait(page, lambda d: d.find_element(By.ID, "article-title").text == "North Korea fires missiles ahead of talks")


def test_outlet_filter_limits_the_sources(page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page.find_element(By.CSS_SELECTOR, "#filters summary").click()
    Select(page.find_element(By.ID, "outlet")).select_by_visible_text("Yonhap")
    offered = [o.text for o in Select(page.find_element(By.ID, "article")).options][1:]
    assert offered and all("Yonhap" in text for text in offered)  # the articles offered narrow too
    turn = ask(page, "Where did the missiles land?")
    lines = [line.text for line in turn.find_elements(By.CSS_SELECTOR, ".sources a.cite")]
    assert lines and all(line.split("] ", 1)[1].startswith("Yonhap · ") for line in lines), lines


def test_hostile_article_shows_as_text_and_runs_nothing(page, server, web_index, tmp_path):
    from selenium.webdriver.common.by import By

    source = tmp_path / "hostile.jsonl"
    source.write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_CONFIG=str(tmp_path / "no-config.toml"), QA_LLM="none")
    done = subprocess.run([sys.executable, "-m", "qa", "index", "--index", str(web_index), str(source)],
                          env=env, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    title = page.title

    turn = ask(page, "What did Mallory Quayle say about the dredging?")
    assert "complete" in turn.get_attribute("class"), turn.text
    markers = turn.find_elements(By.CSS_SELECTOR, ".answer a.marker")
    assert markers and all(m.get_attribute("href").startswith(server.url) for m in markers)
    citation = turn.find_element(By.CSS_SELECTOR, ".sources a.cite").text
    markers[0].click()
    visible(page, "#view-article li.paragraph.cited")
    # What the index kept of the article (ingest may clean some of it) shows exactly, as text.
    stored = _get_json(f"{server.url}/web/article?id={HOSTILE['id']}")
    kept = [p["text"] for p in stored["paragraphs"]]
    assert any("<script>" in text for text in kept) and any("onclick=" in text for text in kept)
    assert page.find_element(By.ID, "article-title").text == stored["title"].strip()
    shown = [p.text for p in page.find_elements(By.CSS_SELECTOR, "#article-body .paragraph .text")]
    assert shown == [text.strip() for text in kept]
    body = page.find_element(By.ID, "article-body").text
    assert stored["source"] in body
    if stored["url"]:  # a javascript: URL kept by ingest is shown as text, never as a link
        assert f"Source: {stored['url']}" in body
    assert citation.startswith(f"[1] {stored['source']} · ")  # the citation line, as text

    page.get(server.url + "/#person/" + "Mallory%20Quayle")  # a fresh load: the token is kept for the tab
    wait(page, lambda d: "paragraph" in d.find_element(By.ID, "person-count").text)
    assert "<script>" in page.find_element(By.ID, "person-articles").text  # the statement, as text

    for view in ("#people",):
        page.execute_script("location.hash = arguments[0]", view)
        wait(page, lambda d: "Mallory" in d.find_element(By.ID, "people-list").text)
    # Nothing ran: no script set its flag or the title, and no element or link came from the article's markup.
    assert page.execute_script("return window.__pwned") is None
    assert page.title == title == "qa — ask the articles"
    assert page.execute_script(
        "return document.querySelectorAll('img, iframe, object, embed, b, [onerror], [onclick], [onmouseover],"
        " a[href^=\"javascript:\"]').length") == 0
    assert page.execute_script("return document.scripts.length") == 1


def test_wrong_token_brings_back_the_prompt(page):
    from selenium.webdriver.common.by import By

    page.execute_script("sessionStorage.setItem('qa-serve-token', 'not-the-token')")
    box = page.find_element(By.ID, "question")
    from selenium.webdriver.common.keys import Keys

    box.send_keys("What did Klingner say?", Keys.ENTER)
    visible(page, "#token-dialog[open]", 30)
    assert "not accepted" in page.find_element(By.ID, "token-reason").text
    enter_token(page, TOKEN)  # the question goes on with the right token
    turn = visible(page, "#conversation .turn.complete")
    assert "Klingner" in turn.text
    assert page.execute_script("return sessionStorage.getItem('qa-serve-token')") == TOKEN
    assert page.execute_script("return localStorage.length") == 0  # kept for the browser session only


def test_llm_answer_shows_progress_then_only_verified_sentences(driver, web_index, tmp_path):
    """With an LLM (the loopback fake server, speaking the OpenAI protocol) the page shows the draft's
    progress, then the verified answer: a drafted sentence its source does not support never shows."""
    from selenium.webdriver.common.by import By

    from tests.fake_llm_server import FakeLLMServer

    draft = ("Kim could see an upside in reaching out to Trump, said Bruce Klingner. [1] "
             "Klingner said the moon is made of green cheese. [1]")
    with FakeLLMServer(reply=draft) as fake:
        running = Server(["--index", str(web_index)], tmp_path, {"QA_LLM": "openai", "QA_BASE_URL": fake.url,
                                                                 "QA_LLM_MODEL": "fake-model"})
        try:
            driver.get(running.url + "/")
            turn = ask(driver, "What did Klingner say?")
            assert fake.chat_requests >= 1
        finally:
            running.stop()
    events = turn.get_attribute("data-events").split()
    assert events[0] == "searching" and "drafting" in events and events[-1] == "done"
    assert events.index("drafting") < events.index("text")  # progress first, the verified text after
    answer = turn.find_element(By.CSS_SELECTOR, ".answer").text
    assert "upside" in answer and "cheese" not in answer and "Answered by: openai" in answer
    assert "cheese" not in turn.text


def test_phone_width_and_dark_mode(page):
    from selenium.webdriver.common.by import By

    ask(page, "What did Klingner say?")
    light = page.execute_script("return getComputedStyle(document.body).backgroundColor")
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    try:
        dark = page.execute_script("return getComputedStyle(document.body).backgroundColor")
        text = page.execute_script("return getComputedStyle(document.body).color")
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    assert light != dark and _luminance(dark) < 0.2 < 0.6 < _luminance(text)
    page.set_window_size(390, 844)  # a phone
    try:
        page.find_element(By.CSS_SELECTOR, "#conversation a.marker").click()
        visible(page, "#view-article li.paragraph.cited")
        assert page.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        page.set_window_size(900, 1100)


def _get_json(url: str) -> dict:
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _luminance(css_color: str) -> float:
    import re

    r, g, b = (float(x) / 255 for x in re.findall(r"[\d.]+", css_color)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _screenshot(driver, tmp_path: Path, name: str, element=None) -> None:
    """A PNG of the page (or one element) as the test sees it; copied into docs/ on request."""
    path = tmp_path / name
    if element is not None:
        element.screenshot(str(path))
    else:
        driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("UPDATE_SCREENSHOTS"):
        shutil.copyfile(path, REPO / "docs" / name)


def test_people_merges_name_variants_unless_two_people_share_the_surname():
    """One row per person: "Mr Kennedy" and "Kennedy" join "Charles Kennedy" when he is the only
    Kennedy with a full name among the matches; with "Edward Kennedy" quoted too they stay apart."""
    from qa.index.records import SpeakerRecord
    from qa.front.web import people

    def record(i: int, name: str, article: str, paragraphs: int) -> SpeakerRecord:
        return SpeakerRecord(i, article, name, (), (), "person", tuple(range(paragraphs)), tuple(range(1, paragraphs + 1)))

    class Index:  # what `people` reads of QA
        def __init__(self, records):
            self.records = records

        def speakers(self, name=None):
            return self.records

    one = [record(1, "Charles Kennedy", "a", 2), record(2, "Mr Kennedy", "b", 3), record(3, "Kennedy", "c", 1)]
    rows = people(Index(one), "Kennedy")["people"]
    assert [(r["name"], sorted(r["variants"]), r["articles"], r["statements"]) for r in rows] == [
        ("Charles Kennedy", ["Kennedy", "Mr Kennedy"], 3, 6)]
    two = one + [record(4, "Edward Kennedy", "d", 1)]
    rows = people(Index(two), "Kennedy")["people"]
    assert {(r["name"], tuple(r["variants"])) for r in rows} == {  # whose "Mr Kennedy" is cannot be told
        ("Charles Kennedy", ()), ("Edward Kennedy", ()), ("Kennedy", ("Mr Kennedy",))}

