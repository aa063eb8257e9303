// hsearch search page: talks to /api/*, keeps the query in the address bar so
// results can be bookmarked and the back button works.  Titles and article
// text are always inserted as text; snippets are rebuilt from text and <mark>.
"use strict";

(() => {
  const PAGE = 10;
  const DEVANAGARI = /[\u0900-\u097F\uA8E0-\uA8FF]/;
  const FILTER_NAMES = ["date_from", "date_to", "source", "category"];

  const $ = (id) => document.getElementById(id);
  const form = $("search-form");
  const input = $("q");
  const statusLine = $("status");
  const errorBox = $("error");
  const list = $("results");
  const empty = $("empty");
  const suggestions = $("suggestions");
  const pager = $("pager");
  const examples = $("examples");
  const notice = $("notice");

  const state = { modes: ["hybrid", "bm25", "semantic"], defaultMode: "hybrid", controller: null, query: "" };

  // -- small helpers ---------------------------------------------------------
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  }

  /** Mark Hindi text as Hindi so the browser picks a Devanagari face and shapes it right. */
  function langOf(text) {
    return DEVANAGARI.test(text || "") ? "hi" : "en";
  }

  /** The API's snippet is escaped text with <mark> tags; keep exactly those, as text. */
  function snippetNodes(html) {
    const template = document.createElement("template"); // inert: nothing runs or loads
    template.innerHTML = html;
    const fragment = document.createDocumentFragment();
    for (const node of template.content.childNodes) {
      if (node.nodeName === "MARK") fragment.append(el("mark", { text: node.textContent }));
      else fragment.append(document.createTextNode(node.textContent));
    }
    return fragment;
  }

  function formatDate(iso) {
    if (!iso) return null;
    const parsed = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : iso + "Z");
    if (Number.isNaN(parsed.getTime())) return iso.slice(0, 10);
    return parsed.toLocaleDateString("en-IN", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  }

  function safeUrl(url) {
    try {
      const parsed = new URL(url, location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch {
      return null;
    }
  }

  // -- form <-> address bar ------------------------------------------------------
  function formParams() {
    const data = new FormData(form);
    const params = new URLSearchParams();
    const q = (data.get("q") || "").toString().trim();
    if (q) params.set("q", q);
    const mode = (data.get("mode") || "").toString();
    if (mode && mode !== state.defaultMode) params.set("mode", mode);
    if ((data.get("sort") || "") === "date") params.set("sort", "date");
    for (const name of FILTER_NAMES) {
      const value = (data.get(name) || "").toString().trim();
      if (value) params.set(name, value);
    }
    return params;
  }

  function fillForm(params) {
    input.value = params.get("q") || "";
    const mode = params.get("mode") || state.defaultMode;
    for (const radio of form.elements.namedItem("mode")) radio.checked = radio.value === mode;
    const sort = params.get("sort") === "date" ? "date" : "relevance";
    for (const radio of form.elements.namedItem("sort")) radio.checked = radio.value === sort;
    for (const name of FILTER_NAMES) {
      const field = $(name);
      const value = params.get(name) || "";
      if (field.tagName === "SELECT" && value && ![...field.options].some((o) => o.value === value)) {
        field.append(el("option", { value, text: value }));
      }
      field.value = value;
    }
    input.lang = langOf(input.value) === "hi" || !input.value ? "hi" : "en";
    updateFilterBadge();
  }

  function activeFilters(params) {
    return FILTER_NAMES.filter((name) => params.get(name));
  }

  function updateFilterBadge() {
    const count = activeFilters(formParams()).length;
    const badge = $("filter-count");
    badge.hidden = count === 0;
    badge.textContent = String(count);
    if (count) $("filters").open = true;
  }

  function go(params, { push = true } = {}) {
    const target = params.toString() ? `/?${params}` : "/";
    if (push && target !== location.pathname + location.search) history.pushState(null, "", target);
    fillForm(params);
    run(params);
  }

  // -- searching -------------------------------------------------------------
  async function run(params) {
    const q = params.get("q");
    const like = params.get("similar");
    state.query = q || "";
    errorBox.hidden = true;
    empty.hidden = true;
    notice.hidden = true;
    pager.hidden = true;
    document.title = q ? `${q} · hsearch` : "hsearch · हिंदी समाचार खोज";
    if (!q && !like) {
      list.replaceChildren();
      statusLine.textContent = "";
      examples.hidden = false;
      return;
    }
    examples.hidden = true;
    if (state.controller) state.controller.abort();
    const controller = new AbortController();
    state.controller = controller;
    const query = new URLSearchParams(params);
    query.set("k", String(PAGE));
    query.delete("similar");
    const url = like ? `/api/articles/${encodeURIComponent(like)}/similar?${query}` : `/api/search?${query}`;
    statusLine.textContent = "Searching… खोज जारी है…";
    list.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } });
      const body = await response.json().catch(() => ({ error: `the server answered ${response.status}` }));
      if (!response.ok) throw new Error(body.error || `the server answered ${response.status}`);
      render(body, params);
    } catch (error) {
      if (error.name === "AbortError") return;
      list.replaceChildren();
      statusLine.textContent = "";
      errorBox.textContent = `Search failed: ${error.message}`;
      errorBox.hidden = false;
    } finally {
      if (state.controller === controller) {
        state.controller = null;
        list.removeAttribute("aria-busy");
      }
    }
  }

  function render(body, params) {
    const modeName = { hybrid: "hybrid", bm25: "words (BM25)", semantic: "meaning" }[body.mode] || body.mode;
    const count = body.count === 1 ? "1 result" : `${body.count} results`;
    const order = params.get("sort") === "date" ? " · newest first" : "";
    const what = body.id ? `Similar to ${body.title ? `“${body.title}”` : body.id} · ` : "";
    statusLine.textContent = `${what}${count} of ${body.total}${order} · ${modeName} · ${Math.round(body.took_ms)} ms`;
    list.replaceChildren(...body.results.map(resultItem));
    list.start = (body.offset || 0) + 1; // an ordered list: page 2 counts on from 11
    showExpansions(body, params);
    if (body.count === 0 && !body.id && !body.offset) showSuggestions(body, params);
    showPager(body, params);
  }

  /** Previous / next pages: the server cuts every page from one list, so pages never overlap. */
  function showPager(body, params) {
    const page = Math.floor(body.offset / PAGE) + 1;
    const pages = Math.max(1, Math.ceil(body.total / PAGE));
    pager.hidden = pages <= 1 && page === 1;
    $("prev").disabled = page <= 1;
    $("next").disabled = body.offset + body.count >= body.total;
    $("page-info").textContent = `page ${page} of ${pages}`;
    const turn = (to) => { const next = new URLSearchParams(params); if (to > 1) next.set("page", String(to)); else next.delete("page"); go(next); window.scrollTo(0, 0); };
    $("prev").onclick = () => turn(page - 1);
    $("next").onclick = () => turn(page + 1);
  }

  /** "N more from this story": the syndicated copies collapsing folded under this hit. */
  function storyLine(hit) {
    const more = hit.more || { count: 0, copies: [] };
    if (!more.count) return [];
    const label = more.count === 1 ? "1 more from this story" : `${more.count} more from this story`;
    const items = more.copies.map((copy) => el("li", {},
      el("span", { lang: langOf(copy.title), text: copy.title || "(no headline)" }),
      ` · ${[copy.source, formatDate(copy.date)].filter(Boolean).join(" · ")} `,
      el("span", { class: "copy-id", text: `id ${copy.id}` })));
    return [el("details", { class: "story" }, el("summary", { text: `${label} · इस ख़बर की और प्रतियाँ` }), el("ul", {}, ...items))];
  }

  function showSimilar(id) {
    const params = new URLSearchParams();
    params.set("similar", id);
    go(params);
  }

  function resultItem(hit) {
    const title = hit.title || "(no headline)";
    const titleNodes = () => (hit.title && hit.title_html ? snippetNodes(hit.title_html) : document.createTextNode(title));
    const url = hit.url ? safeUrl(hit.url) : null;
    // One look for every title: a link to the source when there is one, else a button that opens the article.
    const heading = url
      ? el("a", { class: "title", href: url, rel: "noopener noreferrer", target: "_blank" }, titleNodes())
      : el("button", { type: "button", class: "title", title: "Read the article", onclick: () => { read.open = true; } },
        titleNodes());
    const parts = [];
    if (hit.date) parts.push(el("time", { datetime: hit.date, text: formatDate(hit.date) }));
    for (const [name, label] of [["source", "Only this source"], ["category", "Only this category"]]) {
      const value = hit[name];
      if (!value) continue;
      parts.push(el("button", {
        type: "button", class: "link", lang: langOf(value), title: label, text: value,
        onclick: () => filterBy(name, value),
      }));
    }
    const meta = el("p", { class: "meta" });
    parts.forEach((part, i) => meta.append(...(i ? [" · ", part] : [part])));
    const read = el("details", { class: "read" }, el("summary", { text: "Read · पूरा पढ़ें" }));
    const query = state.query;
    read.addEventListener("toggle", () => loadArticle(read, hit.id, query), { once: true });
    const similar = el("p", { class: "actions" }, el("button", {
      type: "button", class: "link similar", text: "Similar articles · मिलती-जुलती ख़बरें", onclick: () => showSimilar(hit.id),
    }));
    return el("li", { class: "result", "data-id": hit.id },
      el("h2", { lang: langOf(title) }, heading),
      meta,
      el("p", { class: "snippet", lang: langOf(hit.snippet) }, snippetNodes(hit.snippet)),
      ...storyLine(hit),
      read,
      similar,
    );
  }

  async function loadArticle(details, id, query) {
    const holder = el("div", { class: "body", text: "Loading…" });
    details.append(holder);
    try {
      // Every id hsearch makes is reachable: '/' in folder ids travels encoded as %2F.
      const marked = query ? `?${new URLSearchParams({ q: query })}` : "";
      const response = await fetch(`/api/articles/${encodeURIComponent(id)}${marked}`);
      const article = await response.json();
      if (!response.ok) throw new Error(article.error || response.statusText);
      // body_html is escaped text with <mark> only; a mark never spans a line break.
      const paragraphs = (article.body_html || article.body).split(/\n\s*\n|\n/).map((p) => p.trim()).filter(Boolean);
      holder.replaceChildren(...paragraphs.map((p) => article.body_html
        ? el("p", { lang: langOf(p) }, snippetNodes(p))
        : el("p", { lang: langOf(p), text: p })));
      holder.append(el("p", { class: "scores", text: `id ${article.id}` }));
    } catch (error) {
      holder.textContent = `Could not load the article: ${error.message}`;
    }
  }

  function filterBy(name, value) {
    const params = formParams();
    params.set(name, value);
    go(params);
  }

  // -- "showing results for": corrections and romanized words, with a way back to the words as typed --
  function showExpansions(body, params) {
    const parts = [];
    if (body.showing_results_for) {
      parts.push("Showing results for ", el("strong", { lang: "hi", text: body.showing_results_for }), ". ");
    }
    const romanized = (body.expansions || []).filter((e) => e.kind !== "correction" && e.terms.length);
    if (romanized.length) {
      parts.push("Also searched: ");
      romanized.forEach((e, i) => parts.push(...(i ? [", "] : []), `${e.word} → `,
        el("span", { lang: "hi", text: e.terms.map((t) => t.term).join(" / ") })));
      parts.push(". ");
    }
    if (parts.length) {
      parts.push(el("button", {
        type: "button", class: "link", text: `Search instead for “${body.query}”`,
        onclick: () => { const next = new URLSearchParams(params); next.set("expand", "false"); go(next); },
      }));
    }
    notice.replaceChildren(...parts);
    notice.hidden = parts.length === 0;
  }

  // -- "no results" that helps ---------------------------------------------------
  function showSuggestions(body, params) {
    const items = [];
    const action = (label, change) => el("button", {
      type: "button", class: "link", text: label,
      onclick: () => { const next = new URLSearchParams(params); change(next); go(next); },
    });
    if (activeFilters(params).length) {
      items.push(el("li", {}, action("Search again without filters", (p) => FILTER_NAMES.forEach((n) => p.delete(n))),
        " (articles without a date never pass a date filter)"));
    }
    if (body.mode === "bm25" && state.modes.includes("hybrid")) {
      items.push(el("li", {}, action("Try Hybrid ranking", (p) => p.delete("mode")),
        ": it also finds articles that say the same thing in other words, or in English."));
    }
    if (body.mode !== "semantic" && state.modes.includes("semantic")) {
      items.push(el("li", {}, action("Search by meaning", (p) => p.set("mode", "semantic")),
        " instead of by the exact words."));
    }
    const words = body.query.split(/\s+/).filter(Boolean);
    if (words.length > 2) {
      items.push(el("li", {}, action(`Try fewer words: “${words.slice(0, 2).join(" ")}”`, (p) => p.set("q", words.slice(0, 2).join(" ")))));
    }
    if (!DEVANAGARI.test(body.query)) {
      items.push(el("li", { text: "Try the Hindi spelling of the name or word (for example कुर्स्क for Kursk)." }));
    } else {
      items.push(el("li", { text: "Check the spelling: many Hindi words are written more than one way (हिंदी/हिन्दी, ज़रूर/जरूर); try another form." }));
    }
    suggestions.replaceChildren(...items);
    empty.hidden = false;
  }

  // -- start-up ----------------------------------------------------------------
  async function loadIndexInfo() {
    try {
      const response = await fetch("/api/health");
      const health = await response.json();
      if (!response.ok) throw new Error(health.error || response.statusText);
      state.modes = health.modes;
      state.defaultMode = health.default_mode;
      for (const radio of form.elements.namedItem("mode")) {
        const available = health.modes.includes(radio.value);
        radio.disabled = !available;
        radio.parentElement.classList.toggle("unavailable", !available);
        if (!available) radio.parentElement.title = "This index has no vectors (built with --model none)";
      }
      $("index-info").textContent =
        `${health.articles.toLocaleString("en-IN")} articles` + (health.model ? ` · model ${health.model}` : " · full text only");
    } catch (error) {
      $("index-info").textContent = `Index unavailable: ${error.message}`;
    }
  }

  async function loadFacets() {
    try {
      const response = await fetch("/api/facets");
      if (!response.ok) return;
      const facets = await response.json();
      for (const [name, values] of [["source", facets.sources], ["category", facets.categories]]) {
        const select = $(name);
        const chosen = select.value;
        const first = select.options[0];
        select.replaceChildren(first, ...values.map((f) => el("option", { value: f.value, lang: langOf(f.value), text: `${f.value} (${f.count})` })));
        if (chosen && ![...select.options].some((o) => o.value === chosen)) select.append(el("option", { value: chosen, text: chosen }));
        select.value = chosen;
        select.parentElement.hidden = values.length === 0 && !chosen;
      }
    } catch {
      /* filters by source and category stay usable from the result lines */
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go(formParams());
  });
  form.addEventListener("change", (event) => {
    updateFilterBadge();
    if (event.target.name !== "q" && input.value.trim()) go(formParams()); // a new order or filter starts at page 1
  });
  input.addEventListener("input", () => { input.lang = !input.value || langOf(input.value) === "hi" ? "hi" : "en"; });
  $("clear-filters").addEventListener("click", () => {
    for (const name of FILTER_NAMES) $(name).value = "";
    updateFilterBadge();
    if (input.value.trim()) go(formParams());
  });
  for (const chip of document.querySelectorAll(".chip")) {
    chip.addEventListener("click", () => { const p = new URLSearchParams(); p.set("q", chip.dataset.q); go(p); });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && document.activeElement !== input && !/INPUT|SELECT|TEXTAREA/.test(document.activeElement.tagName)) {
      event.preventDefault();
      input.focus();
    }
  });
  window.addEventListener("popstate", () => go(new URLSearchParams(location.search), { push: false }));

  Promise.all([loadIndexInfo(), loadFacets()]).then(() => go(new URLSearchParams(location.search), { push: false }));
})();
