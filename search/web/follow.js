// "Follow this search": saves the page's current search (POST /api/alerts) and links its Atom feed.
// Kept apart from app.js: it reads only the page's address and adds one row under the status line.
(() => {
  "use strict";
  const FIELDS = ["mode", "date_from", "date_to", "source", "category"];

  function nameFor(query) {
    // letters (with Devanagari vowel signs), digits, - and _, as the server's name pattern allows
    const name = query.trim().split(/\s+/).join("-").replace(/[^\p{L}\p{M}\p{N}_-]/gu, "").slice(0, 64);
    return name || "search";
  }

  function setup() {
    const status = document.getElementById("status");
    if (!status) return;
    const row = document.createElement("p");
    row.className = "follow";
    row.hidden = true;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.id = "follow-search";
    button.innerHTML = 'Follow this search <span lang="hi">· इस खोज को फ़ॉलो करें</span>';
    const note = document.createElement("span");
    note.className = "follow-note";
    note.setAttribute("role", "status");
    row.append(button, " ", note);
    status.after(row);

    const current = () => new URLSearchParams(location.search);
    const refresh = () => {
      const q = (current().get("q") || "").trim();
      row.hidden = !q;
      if (row.dataset.q !== q) { note.textContent = ""; row.dataset.q = q; }
    };

    function showFeed(name, words) {
      note.textContent = words + " ";
      const link = document.createElement("a");
      link.href = `/feeds/${encodeURIComponent(name)}.xml`;
      link.textContent = "Atom feed";
      link.type = "application/atom+xml";
      note.append(link);
    }

    button.addEventListener("click", async () => {
      const params = current();
      const query = (params.get("q") || "").trim();
      if (!query) return;
      const body = { name: nameFor(query), query };
      for (const field of FIELDS) if (params.get(field)) body[field] = params.get(field);
      note.textContent = "saving…";
      try {
        const saved = await (await fetch("/api/alerts")).json();  // asked first: a 409 would log an error
        const same = Array.isArray(saved) && saved.find((alert) => alert.name === body.name);
        if (same) { showFeed(same.name, `Already followed as “${same.name}”: its`); return; }
        const response = await fetch("/api/alerts", {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
        const answer = await response.json().catch(() => ({}));
        if (response.status === 201) showFeed(answer.name, `Saved as “${answer.name}”: new matches in its`);
        else if (response.status === 409) showFeed(body.name, `Already followed as “${body.name}”: its`);
        else note.textContent = answer.error || `could not save (HTTP ${response.status})`;
      } catch (error) {
        note.textContent = "could not reach the server";
      }
    });

    new MutationObserver(refresh).observe(status, { childList: true, characterData: true, subtree: true });
    window.addEventListener("popstate", refresh);
    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
