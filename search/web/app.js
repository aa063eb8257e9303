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
  const timeline = $("timeline");
  const articleView = $("article");

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
    const reading = params.get("article");
    state.query = q || "";
    errorBox.hidden = true;
    empty.hidden = true;
    notice.hidden = true;
    pager.hidden = true;
    timeline.hidden = true;
    articleView.hidden = true;
    document.title = q ? `${q} · hsearch` : "hsearch · हिंदी समाचार खोज";
    if (reading) {
      examples.hidden = true;
      list.replaceChildren();
      statusLine.textContent = "";
      showArticle(reading, q || "");
      return;
    }
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
      if (!like) loadTimeline(params, controller);
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
    showNearest(body);
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
      el("a", { href: articleHref(copy.id, state.query), lang: langOf(copy.title), text: copy.title || "(no headline)" }),
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
      : el("button", { type: "button", class: "title", title: "Read the article", onclick: () => toggleRead(true) },
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
    // One quiet row of actions: read here, open the article's own page, find similar ones.
    const query = state.query;
    const reader = el("div", { class: "body", hidden: "" });
    let loaded = false;
    const readButton = el("button", {
      type: "button", class: "link read", "aria-expanded": "false", title: "पूरा पढ़ें", text: "Read",
      onclick: () => toggleRead(readButton.getAttribute("aria-expanded") !== "true"),
    });
    function toggleRead(open) {
      readButton.setAttribute("aria-expanded", String(open));
      readButton.textContent = open ? "Close" : "Read";
      reader.hidden = !open;
      if (open && !loaded) { loaded = true; loadArticle(reader, hit.id, query); }
    }
    const actions = el("p", { class: "actions" }, readButton, " · ",
      el("a", { class: "open", href: articleHref(hit.id, query), title: "The article's own page, to share" }, "Open"), " · ",
      el("button", { type: "button", class: "link similar", title: "मिलती-जुलती ख़बरें", text: "Similar",
        onclick: () => showSimilar(hit.id) }));
    return el("li", { class: "result", "data-id": hit.id },
      el("h2", { lang: langOf(title) }, heading),
      meta,
      el("p", { class: "snippet", lang: langOf(hit.snippet) }, snippetNodes(hit.snippet)),
      ...storyLine(hit),
      actions,
      reader,
    );
  }

  function articleHref(id, query) {
    const params = new URLSearchParams({ article: id });
    if (query) params.set("q", query);
    return `/?${params}`;
  }

  /** The article's paragraphs; body_html is escaped text with <mark> only, and a mark never spans a line break. */
  function bodyNodes(article) {
    const paragraphs = (article.body_html || article.body).split(/\n\s*\n|\n/).map((p) => p.trim()).filter(Boolean);
    return paragraphs.map((p) => (article.body_html
      ? el("p", { lang: langOf(p) }, snippetNodes(p))
      : el("p", { lang: langOf(p), text: p })));
  }

  async function loadArticle(holder, id, query) {
    holder.textContent = "Loading…";
    try {
      // Every id hsearch makes is reachable: '/' in folder ids travels encoded as %2F.
      const marked = query ? `?${new URLSearchParams({ q: query })}` : "";
      const response = await fetch(`/api/articles/${encodeURIComponent(id)}${marked}`);
      const article = await response.json();
      if (!response.ok) throw new Error(article.error || response.statusText);
      holder.replaceChildren(...bodyNodes(article));
      holder.append(el("p", { class: "scores", text: `id ${article.id}` }));
    } catch (error) {
      holder.textContent = `Could not load the article: ${error.message}`;
    }
  }

  // -- an article's own page: /?article=ID (shareable), with its story's copies and similar articles --
  async function showArticle(id, query) {
    articleView.hidden = false;
    $("article-title").textContent = "Loading…";
    $("article-meta").replaceChildren();
    $("article-copies").hidden = true;
    $("article-similar").hidden = true;
    const back = new URLSearchParams();
    if (query) back.set("q", query);
    $("article-back").href = back.toString() ? `/?${back}` : "/";
    const holder = $("article-body");
    try {
      const marked = query ? `?${new URLSearchParams({ q: query })}` : "";
      const response = await fetch(`/api/articles/${encodeURIComponent(id)}${marked}`);
      const article = await response.json();
      if (!response.ok) throw new Error(article.error || response.statusText);
      const title = article.title || "(no headline)";
      const heading = $("article-title");
      heading.lang = langOf(title);
      heading.replaceChildren(article.title_html ? snippetNodes(article.title_html) : document.createTextNode(title));
      document.title = `${title} · hsearch`;
      const parts = [];
      if (article.date) parts.push(el("time", { datetime: article.date, text: formatDate(article.date) }));
      for (const name of ["source", "category"]) if (article[name]) parts.push(el("span", { lang: langOf(article[name]), text: article[name] }));
      const url = article.url ? safeUrl(article.url) : null;
      if (url) parts.push(el("a", { href: url, rel: "noopener noreferrer", target: "_blank", text: "source page ↗" }));
      parts.push(el("span", { class: "copy-id", text: `id ${article.id}` }));
      parts.forEach((part, i) => $("article-meta").append(...(i ? [" · ", part] : [part])));
      holder.replaceChildren(...bodyNodes(article));
    } catch (error) {
      $("article-title").textContent = "Article not found";
      holder.textContent = `Could not load the article: ${error.message}`;
      return;
    }
    const [story, similar] = await Promise.all([
      fetch(`/api/articles/${encodeURIComponent(id)}/story`).then((r) => r.json()).catch(() => ({ copies: [] })),
      fetch(`/api/articles/${encodeURIComponent(id)}/similar?k=5`).then((r) => r.json()).catch(() => ({ results: [] })),
    ]);
    const link = (item) => el("li", {}, el("a", { href: articleHref(item.id, query), lang: langOf(item.title), text: item.title || "(no headline)" }),
      el("span", { class: "copy-id", text: ` · ${[item.source, formatDate(item.date)].filter(Boolean).join(" · ")}` }));
    $("article-copy-list").replaceChildren(...(story.copies || []).map(link));
    $("article-copies").hidden = !(story.copies || []).length;
    $("article-similar-list").replaceChildren(...(similar.results || []).map(link));
    $("article-similar").hidden = !(similar.results || []).length;
  }

  // -- when the results were published: a histogram; a click on a bar filters to its dates --
  async function loadTimeline(params, controller) {
    const query = new URLSearchParams(params);
    for (const name of ["page", "sort", "k", "offset"]) query.delete(name);
    try {
      const response = await fetch(`/api/timeline?${query}`, { signal: controller.signal });
      if (!response.ok) return;
      showTimeline(await response.json(), params);
    } catch {
      /* the results stand without it */
    }
  }

  function showTimeline(body, params) {
    const dated = body.buckets.reduce((sum, b) => sum + b.count, 0);
    if (!dated) { timeline.hidden = true; return; }
    const most = Math.max(...body.buckets.map((b) => b.count));
    const label = (b) => (body.interval === "year" ? b.date_from.slice(0, 4) : body.interval === "month" ? b.date_from.slice(0, 7) : b.date_from);
    const bars = body.buckets.map((b) => {
      const bar = el("button", {
        type: "button", class: "bar", title: `${label(b)}: ${b.count} ${b.count === 1 ? "result" : "results"}`,
        "aria-label": `${label(b)}: ${b.count} results; show only these`, "data-from": b.date_from, "data-to": b.date_to,
        onclick: () => { const next = new URLSearchParams(params); next.delete("page"); next.set("date_from", b.date_from); next.set("date_to", b.date_to); go(next); },
      }, el("span", { class: "fill" }));
      bar.firstChild.style.height = `${b.count ? Math.max(6, Math.round((100 * b.count) / most)) : 0}%`;
      if (!b.count) bar.disabled = true;
      return bar;
    });
    $("timeline-bars").replaceChildren(...bars);
    $("timeline-first").textContent = label(body.buckets[0]);
    $("timeline-last").textContent = body.buckets.length > 1 ? label(body.buckets[body.buckets.length - 1]) : "";
    const per = { day: "day", month: "month", year: "year" }[body.interval];
    const undated = body.undated ? ` (${body.undated} undated)` : "";
    $("timeline-caption").textContent = `Published · प्रकाशन: ${dated} results by ${per}${undated}; click a bar to see only those dates`;
    timeline.hidden = false;
  }

  function filterBy(name, value) {
    const params = formParams();
    params.set(name, value);
    go(params);
  }

  // -- "showing results for": corrections and romanized words, with a way back to the words as typed --
  function showExpansions(body, params) {
    const parts = [];
    if (body.partial) {  // a sharded index answered without some shards: never a silent partial page
      parts.push(el("strong", { class: "partial", text: `Partial results: shard ${(body.failed_shards || []).join(", ")} `
        + "did not answer, so its articles are missing from this page. " }));
    }
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

  // -- "no close match": the archive holds nothing close; the nearest articles, set apart as such ---
  function showNearest(body) {
    const nearest = body.nearest || [];
    $("no-match").hidden = !body.no_close_match;
    $("no-match-query").textContent = body.query || "";
    $("nearest-list").replaceChildren(...nearest.map(resultItem));
    $("nearest").hidden = nearest.length === 0;
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
