// The page of `qa serve`: ask and chat, read a cited article at its paragraph, see what a person said.
// Article text is untrusted: every element is built with textContent (never innerHTML), links to
// articles' own URLs are kept only when they are http(s), and nothing from an article is ever run.
"use strict";

const TOKEN_KEY = "qa-serve-token";
const state = {
  messages: [],          // the conversation sent with each question: {role, content}
  marks: new Map(),      // "articleId\u0000paragraph" -> the sentence to mark there
  info: null,
  turn: 0,
  busy: false,
  lastAskScroll: 0,
};

// --- small helpers -------------------------------------------------------------------------------

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "onclick") node.addEventListener("click", value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

const $ = (id) => document.getElementById(id);

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function safeUrl(url) {
  // An article's URL is shown as a link only when it is http(s): never javascript:, data: and the like.
  if (typeof url !== "string") return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch (e) {
    return null;
  }
}

function articleHash(articleId, paragraph) {
  return "#article/" + encodeURIComponent(articleId) + (paragraph ? "/" + paragraph : "");
}

function personHash(name) {
  return "#person/" + encodeURIComponent(name);
}

function citationLine(item) {
  // outlet · headline · date · ¶N, as qa writes citations
  const bits = [];
  if (item.source) bits.push(item.source);
  bits.push("“" + (item.title || "untitled") + "”");
  bits.push(item.date || "undated");
  if (item.paragraph) bits.push("¶" + item.paragraph);
  return bits.join(" · ");
}

// --- the token -----------------------------------------------------------------------------------

let tokenWaiters = null;

function askForToken(reason) {
  if (!tokenWaiters) {
    tokenWaiters = [];
    $("token-reason").textContent = reason;
    $("token").value = "";
    const dialog = $("token-dialog");
    if (!dialog.open) dialog.showModal();
    $("token").focus();
  }
  return new Promise((resolve) => tokenWaiters.push(resolve));
}

function tokenEntered(event) {
  event.preventDefault();
  const value = $("token").value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  $("token-dialog").close();
  const waiters = tokenWaiters || [];
  tokenWaiters = null;
  waiters.forEach((resolve) => resolve());
}

function headers(json) {
  const out = {};
  if (json) out["Content-Type"] = "application/json";
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) out["Authorization"] = "Bearer " + token;
  return out;
}

async function request(path, body) {
  // GET (no body) or a JSON POST, with the token; a 401 asks for the token and tries again.
  for (;;) {
    const options = body === undefined
      ? {headers: headers(false)}
      : {method: "POST", headers: headers(true), body: JSON.stringify(body)};
    const response = await fetch(path, options);
    if (response.status === 401) {
      const had = sessionStorage.getItem(TOKEN_KEY);
      sessionStorage.removeItem(TOKEN_KEY);
      await askForToken(had ? "That token was not accepted. Enter the server's token (QA_SERVE_TOKEN)."
                            : "This server needs its token (QA_SERVE_TOKEN). It is kept only until this tab closes.");
      continue;
    }
    return response;
  }
}

async function getJSON(path) {
  const response = await request(path);
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((payload.error && payload.error.message) || ("HTTP " + response.status));
  return payload;
}

// --- index information and filters ---------------------------------------------------------------

async function loadInfo() {
  try {
    const info = await getJSON("/web/info");
    state.info = info;
    const bits = [info.articles + " articles", info.paragraphs + " paragraphs"];
    if (info.first_date) bits.push("dated " + info.first_date + " to " + info.last_date);
    if (info.last_update) bits.push("index updated " + info.last_update);
    bits.push("answers: " + info.answerer);
    $("index-info").textContent = bits.join(" · ");
    const outlet = $("outlet");
    for (const name of info.outlets) outlet.append(el("option", {value: name, text: name}));
    fillArticles();
  } catch (error) {
    $("index-info").textContent = "Could not read the index: " + error.message;
  }
}

function fillArticles() {
  const select = $("article");
  const keep = select.value;
  const outlet = $("outlet").value;
  clear(select);
  select.append(el("option", {value: "", text: outlet ? "any article from " + outlet : "any article"}));
  for (const a of (state.info ? state.info.article_list : [])) {
    if (outlet && a.source !== outlet) continue;
    const label = [a.date || "undated", a.source, a.title].filter(Boolean).join(" · ");
    select.append(el("option", {value: a.id, text: label.length > 110 ? label.slice(0, 107) + "…" : label}));
  }
  select.value = [...select.options].some((o) => o.value === keep) ? keep : "";
}

function filters() {
  const out = {};
  const since = $("since").value, until = $("until").value, article = $("article").value;
  if (since) out.since = since;
  if (until) out.until = until;
  if (article) out.article = article;
  else if ($("outlet").value) out.outlet = $("outlet").value;
  return out;
}

function showFilterSummary() {
  const f = filters();
  const bits = [];
  if (f.since) bits.push("from " + f.since);
  if (f.until) bits.push("to " + f.until);
  if ($("outlet").value) bits.push($("outlet").value);
  if (f.article) bits.push("one article");
  $("filter-summary").textContent = bits.length ? "(" + bits.join(", ") + ")" : "";
}

// --- asking --------------------------------------------------------------------------------------

function answerNodes(text, citations, turn) {
  // The answer text with each [n] a link to the cited paragraph; the rest stays plain text.
  const byNumber = new Map((citations || []).map((c) => [c.n, c]));
  const nodes = [];
  const pattern = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
  let at = 0, match;
  while ((match = pattern.exec(text)) !== null) {
    if (match.index > at) nodes.push(document.createTextNode(text.slice(at, match.index)));
    for (const n of match[1].split(",").map((x) => parseInt(x, 10))) {
      const c = byNumber.get(n);
      nodes.push(c
        ? el("a", {class: "marker", href: articleHash(c.article_id, c.paragraph), title: c.citation,
                   dataset: {turn: String(turn), n: String(n)}}, "[" + n + "]")
        : el("span", {class: "marker"}, "[" + n + "]"));
    }
    at = pattern.lastIndex;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}

function rememberMarks(citations) {
  for (const c of citations || []) {
    if (c.sentence) state.marks.set(c.article_id + "\u0000" + c.paragraph, c.sentence);
  }
}

function renderSources(parts, answer, turn) {
  if (answer.citations && answer.citations.length) {
    const list = el("ol", {class: "sources"});
    for (const c of answer.citations) {
      const item = el("li", {id: "t" + turn + "-s" + c.n},
        el("a", {class: "cite", href: articleHash(c.article_id, c.paragraph)}, "[" + c.n + "] ", citationLine(c)));
      if (c.sentence) item.append(el("blockquote", {}, c.sentence));
      if (c.also_in && c.also_in.length) {
        item.append(el("p", {class: "muted small"}, "Also carried by: " +
          c.also_in.map((x) => [x.source, x.date].filter(Boolean).join(" ")).join("; ")));
      }
      list.append(item);
    }
    parts.sources.append(el("h3", {}, "Sources"), list);
  } else if (answer.passages && answer.passages.length) {
    // An abstention: what the closest passages do say.
    const list = el("ol", {class: "sources"});
    for (const p of answer.passages.slice(0, 3)) {
      list.append(el("li", {},
        el("a", {class: "cite", href: articleHash(p.article_id, p.paragraph)}, citationLine(p)),
        el("blockquote", {}, p.text.length > 400 ? p.text.slice(0, 397) + "…" : p.text)));
    }
    parts.sources.append(el("h3", {}, "What the closest passages say"), list);
  }
  if (answer.people && answer.people.length) {
    const line = el("p", {class: "people-line"}, "People quoted: ");
    answer.people.forEach((name, i) => {
      if (i) line.append(", ");
      line.append(el("a", {href: personHash(name), class: "person-link"}, name));
    });
    parts.sources.append(line);
  }
}

function newTurn(question) {
  state.turn += 1;
  const turn = state.turn;
  const parts = {
    standalone: el("p", {class: "standalone muted", hidden: true}),
    status: el("p", {class: "status muted", role: "status"}, "Searching the articles…"),
    answer: el("div", {class: "answer", id: "answer-" + turn}),
    notes: el("div", {class: "notes"}),
    sources: el("div", {class: "sources-block"}),
  };
  const item = el("li", {class: "turn", id: "turn-" + turn},
    el("p", {class: "question"}, el("span", {class: "sr-only"}, "You asked: "), question),
    parts.standalone, parts.status, parts.answer, parts.notes, parts.sources);
  $("conversation").append(item);
  item.scrollIntoView({block: "end"});
  return {turn, parts, item};
}

async function ask(question) {
  if (state.busy) return;
  state.busy = true;
  $("ask-button").disabled = true;
  const {turn, parts, item} = newTurn(question);
  const messages = state.messages.concat([{role: "user", content: question}]);
  const body = Object.assign({messages}, filters());
  let answerText = "";
  try {
    const response = await request("/web/chat", body);
    if (!response.ok) {
      const payload = await response.json().catch(() => ({}));
      throw new Error((payload.error && payload.error.message) || ("HTTP " + response.status));
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "", finished = false;
    while (!finished) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, {stream: true});
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (!data) continue;
        const event = JSON.parse(data);
        item.dataset.events = (item.dataset.events ? item.dataset.events + " " : "") + event.type;
        if (event.type === "searching") {
          if (event.question.trim() !== question.trim()) {
            parts.standalone.hidden = false;
            parts.standalone.textContent = "Searched as: " + event.question;
          }
          parts.status.textContent = "Reading the passages…";
        } else if (event.type === "drafting") {
          parts.status.textContent = "The LLM is writing (" + event.tokens + " tokens); each sentence is checked against its source before it is shown…";
        } else if (event.type === "text") {
          parts.status.textContent = "Verified; showing the answer…";
          answerText += event.text;
          parts.answer.append(...answerNodes(event.text, null, turn));
        } else if (event.type === "done") {
          finishTurn(event.answer, parts, item, turn);
          state.messages = messages.concat([{role: "assistant", content: event.answer.answer}]);
          finished = true;
        } else if (event.type === "error") {
          throw new Error(event.message);
        }
      }
    }
    if (!finished) throw new Error("the answer stopped before it was complete" + (answerText ? "" : "; try again"));
  } catch (error) {
    parts.status.textContent = "";
    parts.status.append(el("span", {class: "error"}, "Error: " + error.message));
    item.classList.add("failed");
  } finally {
    state.busy = false;
    $("ask-button").disabled = false;
  }
}

function finishTurn(answer, parts, item, turn) {
  rememberMarks(answer.citations);
  clear(parts.answer);
  parts.status.textContent = "";
  if (answer.standalone_question && answer.standalone_question.trim() !== answer.question.trim()) {
    parts.standalone.hidden = false;
    parts.standalone.textContent = "Searched as: " + answer.standalone_question;
  }
  if (answer.abstained) {
    item.classList.add("abstained");
    parts.answer.append(el("p", {class: "abstention-label"}, "No answer in the articles"));
  }
  for (const line of answer.answer.split("\n")) {
    parts.answer.append(el("p", {}, ...answerNodes(line, answer.citations, turn)));
  }
  const notes = [];
  if (answer.warning) notes.push(answer.warning);
  if (answer.fallback) notes.push("The LLM's answer did not hold up; these are the articles' own sentences.");
  for (const note of notes) parts.notes.append(el("p", {class: "warning"}, note));
  parts.answer.append(el("p", {class: "muted small"}, "Answered by: " + answer.backend));
  renderSources(parts, answer, turn);
  item.classList.add("complete");
}

function submitQuestion(event) {
  event.preventDefault();
  const box = $("question");
  const question = box.value.trim();
  if (!question || state.busy) return;
  box.value = "";
  showFilterSummary();
  ask(question);
}

function newConversation() {
  state.messages = [];
  clear($("conversation"));
  $("question").focus();
}

// --- the article view ----------------------------------------------------------------------------

function markedParagraph(text, sentence) {
  const body = el("p", {class: "text"});
  const at = sentence ? text.indexOf(sentence) : -1;
  if (at < 0) {
    body.append(text);
    return body;
  }
  body.append(text.slice(0, at), el("mark", {class: "quoted"}, sentence), text.slice(at + sentence.length));
  return body;
}

async function showArticle(articleId, paragraph) {
  const body = $("article-body");
  clear(body);
  body.append(el("p", {class: "muted"}, "Loading the article…"));
  let a;
  try {
    a = await getJSON("/web/article?id=" + encodeURIComponent(articleId));
  } catch (error) {
    clear(body);
    body.append(el("p", {class: "error"}, "Error: " + error.message));
    return;
  }
  clear(body);
  body.append(el("h2", {id: "article-title"}, a.title || "untitled"));
  const meta = [a.source, a.date || "undated", a.byline ? "by " + a.byline : null].filter(Boolean).join(" · ");
  body.append(el("p", {class: "meta"}, meta));
  const url = safeUrl(a.url);
  if (url) {
    body.append(el("p", {class: "meta"}, el("a", {href: url, rel: "noopener noreferrer nofollow", target: "_blank"}, url)));
  } else if (a.url) {
    body.append(el("p", {class: "meta"}, "Source: " + a.url));
  }
  if (a.also_in.length) {
    const list = el("ul", {class: "copies"});
    for (const c of a.also_in) {
      list.append(el("li", {},
        el("a", {href: articleHash(c.article_id)}, [c.source, c.date, "“" + c.title + "”"].filter(Boolean).join(" · ")),
        " (" + c.paragraphs.length + " paragraph" + (c.paragraphs.length === 1 ? "" : "s") + " in common)"));
    }
    body.append(el("h3", {}, "The same wire copy in other outlets"), list);
  }
  const list = el("ol", {class: "paragraphs"});
  // The cited paragraph (of a long one split into parts, the part holding the quoted sentence).
  const quoted = paragraph ? state.marks.get(articleId + "\u0000" + paragraph) : null;
  const parts = a.paragraphs.filter((p) => p.paragraph === paragraph);
  const chosen = parts.find((p) => quoted && p.text.indexOf(quoted) >= 0) || parts[0] || null;
  let target = null;
  for (const p of a.paragraphs) {
    const label = "¶" + p.paragraph + (p.part ? " (part " + p.part + ")" : "");
    const cited = p === chosen;
    const sentence = cited ? quoted : null;
    const item = el("li", {id: "para-" + p.paragraph + (p.part ? "-" + p.part : ""), class: "paragraph kind-" + p.kind,
                           dataset: {paragraph: String(p.paragraph)}},
      el("span", {class: "pnum"}, label), markedParagraph(p.text, sentence));
    if (cited) {
      item.classList.add("cited");
      item.setAttribute("aria-current", "true");
      item.setAttribute("tabindex", "-1");
      target = item;
    }
    list.append(item);
  }
  body.append(list);
  if (target) {
    target.scrollIntoView({block: "center"});
    target.focus({preventScroll: true});
  } else {
    window.scrollTo(0, 0);
  }
}

// --- people --------------------------------------------------------------------------------------

async function showPeople(query) {
  const list = $("people-list");
  clear(list);
  list.append(el("li", {class: "muted"}, "Loading…"));
  try {
    const found = await getJSON("/web/people?q=" + encodeURIComponent(query || ""));
    clear(list);
    if (!found.people.length) list.append(el("li", {class: "muted"}, "No one by that name is quoted in the articles."));
    for (const p of found.people) {
      list.append(el("li", {},
        el("a", {href: personHash(p.name), class: "person-link"}, p.name),
        " — " + p.statements + " paragraph" + (p.statements === 1 ? "" : "s") + " quoting them in " +
          p.articles + " article" + (p.articles === 1 ? "" : "s"),
        p.variants.length ? el("span", {class: "muted"}, " (also: " + p.variants.join(", ") + ")") : null));
    }
    if (found.more) list.append(el("li", {class: "muted"}, found.more + " more; search for a name to narrow the list."));
  } catch (error) {
    clear(list);
    list.append(el("li", {class: "error"}, "Error: " + error.message));
  }
}

async function showPerson(name, topic) {
  $("person-name").textContent = name;
  $("person-variants").textContent = "";
  $("topic").value = topic || "";
  const box = $("person-articles");
  clear(box);
  $("person-count").textContent = "Loading…";
  let found;
  try {
    found = await getJSON("/web/person?name=" + encodeURIComponent(name) + (topic ? "&topic=" + encodeURIComponent(topic) : ""));
  } catch (error) {
    $("person-count").textContent = "";
    box.append(el("p", {class: "error"}, "Error: " + error.message));
    return;
  }
  const others = found.names.filter((n) => n !== name);
  if (others.length) $("person-variants").textContent = "Also named: " + others.join(", ");
  $("person-count").textContent = found.statements + " paragraph" + (found.statements === 1 ? "" : "s") +
    " quoting them in " + found.articles.length + " article" + (found.articles.length === 1 ? "" : "s") +
    (found.topic ? " about “" + found.topic + "”" : "") + ", newest first";
  for (const a of found.articles) {
    const section = el("section", {class: "person-article"},
      el("h3", {}, el("a", {href: articleHash(a.article_id)}, a.title || "untitled")),
      el("p", {class: "meta"}, [a.source, a.date || "undated"].filter(Boolean).join(" · ")));
    const list = el("ul", {class: "statements"});
    for (const p of a.paragraphs) {
      const item = el("li", {}, el("a", {href: articleHash(a.article_id, p.paragraph), class: "pnum"}, "¶" + p.paragraph));
      const statement = p.statements.find((s) => p.text.indexOf(s) >= 0);
      if (statement) state.marks.set(a.article_id + "\u0000" + p.paragraph, statement);
      item.append(markedParagraph(p.text, statement));
      list.append(item);
    }
    section.append(list);
    box.append(section);
  }
}

// --- routing: the hash says which view shows ------------------------------------------------------

function show(view) {
  for (const id of ["view-ask", "view-article", "view-people", "view-person"]) $(id).hidden = id !== view;
  $("nav-ask").toggleAttribute("aria-current", view === "view-ask");
  $("nav-people").toggleAttribute("aria-current", view === "view-people" || view === "view-person");
}

function route() {
  const hash = location.hash.replace(/^#/, "");
  const [kind, ...rest] = hash.split("/");
  if (kind === "article" && rest.length) {
    if (!$("view-ask").hidden) state.lastAskScroll = window.scrollY;
    show("view-article");
    showArticle(decodeURIComponent(rest[0]), rest[1] ? parseInt(rest[1], 10) : null);
  } else if (kind === "person" && rest.length) {
    show("view-person");
    const [name, query] = decodeURIComponent(rest.join("/")).split("?topic=");
    showPerson(name, query || "");
  } else if (kind === "people") {
    show("view-people");
    if (!$("people-list").firstChild) showPeople("");
    $("people-query").focus();
  } else {
    show("view-ask");
    window.scrollTo(0, state.lastAskScroll);
  }
}

function init() {
  $("ask-form").addEventListener("submit", submitQuestion);
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submitQuestion(event);
  });
  $("new-conversation").addEventListener("click", newConversation);
  $("token-form").addEventListener("submit", tokenEntered);
  $("token-dialog").addEventListener("cancel", (event) => event.preventDefault());
  $("outlet").addEventListener("change", () => { fillArticles(); showFilterSummary(); });
  for (const id of ["since", "until", "article"]) $(id).addEventListener("change", showFilterSummary);
  $("clear-filters").addEventListener("click", () => {
    for (const id of ["since", "until", "outlet"]) $(id).value = "";
    fillArticles();
    showFilterSummary();
  });
  $("people-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showPeople($("people-query").value.trim());
  });
  $("topic-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const topic = $("topic").value.trim();
    location.hash = personHash($("person-name").textContent) + (topic ? encodeURIComponent("?topic=" + topic) : "");
  });
  for (const button of document.querySelectorAll(".back")) {
    button.addEventListener("click", () => (history.length > 1 ? history.back() : (location.hash = "")));
  }
  window.addEventListener("hashchange", route);
  route();
  loadInfo();
  $("question").focus();
}

document.addEventListener("DOMContentLoaded", init);
