/* Director Coach web app: small behaviours Gradio has no option for (loaded in <head>).
   - the notice starts open on the first visit and collapsed after that;
   - a new answer or question scrolls into view at its first line (not its end);
   - [n] markers in the latest answer open and highlight that source;
   - Gradio's example list gets a role that matches its buttons. */
(function () {
  "use strict";
  var SEEN = "director-coach:notice-seen";
  var MARK = /\[(\d+)\]/;
  var counts = new WeakMap();
  var queued = false;

  function notice() {
    var box = document.querySelector("details.dc-notice");
    if (!box || box.dataset.dcReady) return;
    box.dataset.dcReady = "1";
    try {
      if (localStorage.getItem(SEEN)) box.open = false;
      localStorage.setItem(SEEN, "1");
    } catch (e) { /* storage blocked: the notice stays open */ }
  }

  function examples() {
    document.querySelectorAll(".examples[role='list']").forEach(function (list) {
      list.setAttribute("role", "group");
      list.setAttribute("aria-label", "Example questions");
    });
  }

  function scroller(node, stop) {
    for (var el = node.parentElement; el && el !== stop.parentElement; el = el.parentElement) {
      var style = getComputedStyle(el).overflowY;
      if ((style === "auto" || style === "scroll") && el.scrollHeight > el.clientHeight) return el;
    }
    return null;
  }

  /* Show the first new message at the top of its chat, and the chat itself on screen. */
  function reveal(chat) {
    var rows = chat.querySelectorAll(".message-row");
    var before = counts.has(chat) ? counts.get(chat) : rows.length;
    counts.set(chat, rows.length);
    if (rows.length <= before) return;
    var first = rows[before];
    var box = scroller(first, chat);
    if (box) {
      box.scrollTop += first.getBoundingClientRect().top - box.getBoundingClientRect().top - 40;
    }
    var rect = chat.getBoundingClientRect();  /* the chat, and what follows it if it fits */
    var below = Math.max(0, rect.bottom + 120 - window.innerHeight);
    var delta = rect.top < 0 ? rect.top - 8 : Math.min(below, rect.top - 8);
    if (delta > 0 || rect.top < 0) window.scrollBy(0, delta);
  }

  function panelFor(chat) {
    var tab = chat.closest(".tabitem") || document;
    return tab.querySelector(".dc-sources");
  }

  /* Turn [n] in the latest answer into buttons; older answers' sources are no longer shown. */
  function cite(chat) {
    var bots = chat.querySelectorAll("[data-testid='bot'] .message-content");
    var sources = panelFor(chat);
    bots.forEach(function (content, i) {
      var latest = i === bots.length - 1 && sources;
      content.querySelectorAll("button.dc-cite").forEach(function (b) {
        if (!latest) b.replaceWith(document.createTextNode(b.textContent));
      });
      if (!latest) return;
      var walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
      var hits = [];
      while (walker.nextNode()) {
        var node = walker.currentNode;
        if (MARK.test(node.nodeValue) && !node.parentElement.closest("button, code, pre")) {
          hits.push(node);
        }
      }
      hits.forEach(wrap);
    });
  }

  function wrap(node) {
    var parts = node.nodeValue.split(/(\[\d+\])/);
    var frag = document.createDocumentFragment();
    parts.forEach(function (part) {
      var m = /^\[(\d+)\]$/.exec(part);
      if (!m) return part && frag.appendChild(document.createTextNode(part));
      var b = document.createElement("button");
      b.type = "button";
      b.className = "dc-cite";
      b.dataset.n = m[1];
      b.setAttribute("aria-label", "Source " + m[1]);
      b.textContent = part;
      frag.appendChild(b);
    });
    node.replaceWith(frag);
  }

  function follow(button) {
    var chat = button.closest(".dc-chat");
    var sources = chat && panelFor(chat);
    if (!sources) return;
    sources.querySelectorAll("li").forEach(function (li) {
      var hit = li.getAttribute("value") === button.dataset.n;
      li.classList.toggle("dc-hl", hit);
      if (!hit) return;
      var more = li.querySelector("details");
      if (more) more.open = true;
      li.scrollIntoView({ block: "nearest" });
      var summary = li.querySelector("summary");
      if (summary) summary.focus({ preventScroll: true });
    });
  }

  function scan() {
    queued = false;
    notice();
    examples();
    document.querySelectorAll(".dc-chat").forEach(function (chat) {
      cite(chat);
      reveal(chat);
    });
  }

  function later() {
    if (!queued) {
      queued = true;
      requestAnimationFrame(scan);
    }
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button.dc-cite");
    if (button) {
      e.preventDefault();
      e.stopPropagation();
      follow(button);
    }
  }, true);
  new MutationObserver(later).observe(document.documentElement, {
    childList: true, subtree: true, characterData: true,
  });
})();
