/* Director Coach chat widget. Embed: <script src="https://HOST/widget.js" async></script>
   Options: data-title, data-greeting, data-accent (#hex), data-position (right|left),
   data-suggestions ("question one|question two|..."), data-questions (interview length, 1-10).
   Vanilla JS, no build step. UI lives in an open shadow root; server text is set with
   textContent only. The session id is kept in sessionStorage (the conversation is restored
   from the server on reload or on another page of the site), with an interview in progress
   (its id and current question, never the answers); the practice id in localStorage. */
(function () {
  "use strict";
  var me = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!me || window.__directorCoach) return;
  window.__directorCoach = true;

  var api = new URL(".", me.src).href;
  var opt = me.dataset;
  var title = opt.title || "Director Coach";
  var greeting = opt.greeting ||
    "Hi! Ask me about becoming a medical director, or practise a mock interview.";
  var accent = /^#([0-9a-f]{3}){1,2}$/i.test(opt.accent || "") ? opt.accent : "#1d4ed8";
  var side = opt.position === "left" ? "left" : "right";
  var suggestions = opt.suggestions ? opt.suggestions.split("|") : [
    "What does a medical director do day to day?",
    "Which skills should I build before applying?",
    "Do I need an MBA or MHA to move into leadership?",
    "How do I prepare for a medical director interview?",
  ];
  var length = Math.min(10, Math.max(1, parseInt(opt.questions, 10) || 3));
  var KEY = "director-coach:session:" + api, OPEN = "director-coach:open:" + api;
  var PRACTICE = "director-coach:practice:" + api, IV = "director-coach:interview:" + api;
  var touch = window.matchMedia && matchMedia("(pointer: coarse)").matches;
  var busy = false, restored = false, mode = "chat", names = null;
  var iv = { id: null, total: 0, done: false, q: null };

  function ink(hex) {
    var h = hex.length === 4 ? hex.replace(/\w/g, "$&$&") : hex;
    var lum = [1, 3, 5].reduce(function (sum, i, k) {
      var c = parseInt(h.substr(i, 2), 16) / 255;
      c = c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
      return sum + c * [0.2126, 0.7152, 0.0722][k];
    }, 0);
    return lum > 0.179 ? "#111827" : "#ffffff";
  }

  var CSS =
    ":host{all:initial!important}" +
    "*{box-sizing:border-box}" +
    ".launch,.panel{position:fixed;z-index:2147483000;" + side + ":20px;" +
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif}" +
    "button,textarea{font:inherit}button,summary,a{cursor:pointer}" +
    ".launch{bottom:20px;min-height:48px;border:0;border-radius:28px;padding:12px 20px;" +
    "background:var(--a);color:var(--i);font-weight:600;box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".panel{bottom:20px;width:min(390px,calc(100vw - 40px));height:min(620px,calc(100vh - 40px));" +
    "display:flex;flex-direction:column;background:#fff;color:#111827;border-radius:14px;" +
    "box-shadow:0 10px 40px rgba(0,0,0,.3);overflow:hidden}" +
    "[hidden]{display:none!important}" +
    ".top{display:flex;align-items:center;gap:4px;padding:4px 4px 4px 14px;background:var(--a);color:var(--i)}" +
    "h2{flex:1;margin:0;font-size:16px;font-weight:700;color:inherit}" +
    ".x{width:44px;height:44px;border:0;background:transparent;color:inherit;font-size:26px;" +
    "line-height:1;border-radius:8px}" +
    ".bar{display:flex;gap:8px;padding:6px 10px;border-bottom:1px solid #e2e8f0}" +
    ".k,.sg button,.acts button,.acts a{min-height:44px;padding:8px 12px;border:1px solid #94a3b8;" +
    "border-radius:10px;background:#fff;color:#1e293b;font-size:14px;text-decoration:none}" +
    ".k{flex:1}.bar .k:first-child{border-color:var(--a);font-weight:600}" +
    ".note{margin:0;padding:6px 10px;font-size:12.5px;background:#fffbeb;color:#78350f;" +
    "border:1px solid #fde68a;border-radius:8px}" +
    ".log{position:relative;flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;" +
    "gap:10px;background:#f8fafc}" +
    ".m{max-width:92%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere}" +
    ".u{align-self:flex-end;background:var(--a);color:var(--i)}" +
    ".b{align-self:flex-start;background:#fff;border:1px solid #e2e8f0}" +
    ".e{align-self:stretch;background:#fef2f2;color:#991b1b;border:1px solid #fecaca}" +
    ".sg,.acts{display:flex;flex-direction:column;gap:6px;white-space:normal}" +
    ".sg button{text-align:left}.acts{flex-flow:row wrap;margin-top:8px}" +
    ".acts a{display:inline-flex;align-items:center}" +
    ".c{border:0;background:none;padding:0 1px;color:#1e40af;font-weight:700;text-decoration:underline}" +
    ".sh{margin:10px 0 2px;padding-top:8px;border-top:1px solid #e2e8f0;font-size:12px;" +
    "font-weight:700;letter-spacing:.04em;text-transform:uppercase;color:#475569}" +
    "ol{margin:0;padding:0;list-style:none;white-space:normal}" +
    "li{font-size:13.5px;margin:2px 0;color:#1e293b;border-radius:8px}" +
    "summary{padding:6px 4px}li.hl{background:#fef9c3;box-shadow:0 0 0 2px #f59e0b}" +
    ".t{display:block;font-size:12px;color:#475569}" +
    "blockquote{margin:4px;padding-left:8px;border-left:3px solid #cbd5e1;color:#334155}" +
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #e2e8f0;background:#fff}" +
    "textarea{flex:1;resize:none;min-height:44px;max-height:140px;padding:9px 10px;" +
    "border:1px solid #64748b;border-radius:10px;color:#111827;background:#fff}" +
    ".send{min-width:64px;min-height:44px;border:0;border-radius:10px;padding:0 14px;" +
    "background:var(--a);color:var(--i);font-weight:600}" +
    ".send:disabled{opacity:.6;cursor:wait}" +
    ":focus-visible{outline:3px solid #f59e0b;outline-offset:2px}.m:focus{outline:2px solid #94a3b8}" +
    "@media (max-width:480px){.panel{inset:0;width:100%;height:100%;border-radius:0}}" +
    "@media (prefers-reduced-motion:no-preference){.launch{transition:transform .15s}" +
    ".launch:hover{transform:scale(1.04)}}";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text != null) node.textContent = text;
    return node;
  }

  function store(kind, key, value) {
    try {
      var s = window[kind];
      if (value === undefined) return s.getItem(key);
      if (value) s.setItem(key, value);
      else s.removeItem(key);
    } catch (e) { /* storage blocked: nothing is kept between pages */ }
    return null;
  }
  function sid(value) { return store("sessionStorage", KEY, value); }

  var host = el("director-coach-widget");
  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el("style", {}, CSS));
  }
  host.style.setProperty("--a", accent);
  host.style.setProperty("--i", ink(accent));

  var launch = el("button", { class: "launch", type: "button", "aria-label": "Open chat with " + title,
    "aria-haspopup": "dialog", "aria-expanded": "false" }, "Open chat");
  var panel = el("section", { class: "panel", role: "dialog", "aria-label": title, hidden: "" });
  var top = el("div", { class: "top" });
  var close = el("button", { class: "x", type: "button", "aria-label": "Close chat" }, "\u00d7");
  top.append(el("h2", {}, title), close);
  var bar = el("div", { class: "bar" });
  var toggle = el("button", { class: "k", type: "button" }, "Practice interview");
  var fresh = el("button", { class: "k", type: "button" }, "New conversation");
  bar.append(toggle, fresh);
  var chat = el("div", { class: "log", role: "log", "aria-label": "Conversation", tabindex: "0" });
  var ivlog = el("div", { class: "log", role: "log", "aria-label": "Interview", tabindex: "0", hidden: "" });

  function composer(label, hint, action, rows) {
    var form = el("form");
    var box = el("textarea", { "aria-label": label, rows: rows, maxlength: "4000",
      placeholder: hint, enterkeyhint: rows === "1" ? "send" : "enter", autocomplete: "off" });
    var send = el("button", { class: "send", type: "submit" }, action);
    form.append(box, send);
    return { form: form, box: box, send: send };
  }
  var ask = composer("Message", "Ask a question\u2026", "Send", "1");
  var ans = composer("Your answer", "Situation, what you did, who you involved, the result\u2026",
    "Submit answer", "3");
  ans.form.hidden = true;
  panel.append(top, bar, chat, ivlog, ask.form, ans.form);
  root.append(launch, panel);

  /* Text with **bold**, "- " bullets and [n] markers that open their source. */
  function rich(node, text, cites) {
    node.textContent = "";
    String(text).replace(/^- /gm, "\u2022 ").split(/\*\*(.+?)\*\*/).forEach(function (part, i) {
      if (i % 2) return node.appendChild(el("strong", {}, part));
      part.split(/\[(\d+(?:,\s*\d+)*)\]/).forEach(function (bit, j) {
        if (!(j % 2)) return node.appendChild(document.createTextNode(bit));
        bit.split(/,\s*/).forEach(function (n) {
          if (!cites) return node.appendChild(document.createTextNode("[" + n + "]"));
          var b = el("button", { class: "c", type: "button", "aria-label": "Source " + n }, "[" + n + "]");
          b.onclick = function () { follow(node, n); };
          node.appendChild(b);
        });
      });
    });
  }

  function follow(bubble, n) {
    var items = bubble.querySelectorAll("li");
    for (var i = 0; i < items.length; i++) {
      var hit = items[i].getAttribute("value") === n;
      items[i].classList.toggle("hl", hit);
      if (hit) {
        items[i].firstChild.open = true;
        items[i].scrollIntoView({ block: "nearest" });
        items[i].querySelector("summary").focus();
      }
    }
  }

  function say(log, cls, text, cites) {
    var m = el("div", { class: "m " + cls });
    rich(m, text, cites);
    log.appendChild(m);
    if (cls === "u" || cls === "e") log.scrollTop = log.scrollHeight;
    else reveal(log, m);
    return m;
  }

  /* Scroll so the start of an answer stays in view while it grows. */
  function reveal(log, m) { log.scrollTop = m.offsetTop - 8; }

  /* An answer with its sources; focus moves to it (no keyboard pop-up on phones). */
  function answer(log, m, text, citations, done) {
    var cited = citations && citations.length;
    rich(m, text, cited);
    if (cited) {
      var list = el("ol", { "aria-label": "Sources" });
      citations.forEach(function (c) {
        var item = el("li", { value: String(c.n) });
        var more = el("details");
        var line = el("summary", {}, "[" + c.n + "] " + c.section);
        line.appendChild(el("span", { class: "t" }, c.title));
        more.append(line, el("blockquote", {}, c.text));
        item.appendChild(more);
        list.appendChild(item);
      });
      m.append(el("p", { class: "sh", "aria-hidden": "true" }, "Sources"), list);
    }
    if (done) {
      m.setAttribute("tabindex", "-1");
      reveal(log, m);
      m.focus({ preventScroll: true });
    }
    return m;
  }

  function actions(parent, items) {
    var row = el("div", { class: "acts" });
    items.forEach(function (it) {
      var b = it.href ? el("a", it.attrs, it.label) : el("button", { type: "button" }, it.label);
      if (it.href) b.href = it.href;
      else b.onclick = it.run;
      row.appendChild(b);
    });
    parent.appendChild(row);
    return row;
  }

  /* The notice and the greeting head the conversation (they scroll away with it). */
  function hello() {
    chat.textContent = "";
    chat.appendChild(el("p", { class: "note" },
      "Career coaching only, not medical advice. Do not enter patient information."));
    say(chat, "b", greeting);
  }

  function greet() {
    hello();
    var row = el("div", { class: "sg", role: "group", "aria-label": "Suggested questions" });
    suggestions.forEach(function (q) {
      var b = el("button", { type: "button" }, q);
      b.onclick = function () { ask.box.value = q; submit(); };
      row.appendChild(b);
    });
    chat.appendChild(row);
  }

  function problem(status, body, retryAfter) {
    var code = (body && body.error && body.error.code) || "";
    if (status === 429) {
      return "You are sending messages quickly. Please wait " + (retryAfter || "a few") +
        " seconds and try again.";
    }
    if (status === 403 && code === "origin_not_allowed") {
      return "This site is not set up to use the coach yet.";
    }
    if (status >= 400 && status < 500 && body && body.error) return body.error.message;
    return "The coach is not available right now. Please try again in a moment.";
  }

  async function call(method, path, body) {
    var init = { method: method };
    if (body) {
      init.headers = { "Content-Type": "application/json" };
      init.body = JSON.stringify(body);
    }
    var res = await fetch(api + path, init);
    var data = await res.json().catch(function () { return null; });
    if (!res.ok) throw { status: res.status, body: data, wait: res.headers.get("Retry-After") };
    return data;
  }

  async function restore() {
    restored = true;
    var id = sid(), data = null;
    if (id) {
      try {
        data = await call("GET", "api/session/" + encodeURIComponent(id));
      } catch (e) {
        if (e && e.status === 404) sid(null);
      }
    }
    if (!data || !data.turns || !data.turns.length) greet();
    else {
      hello();
      data.turns.forEach(function (t) {
        if (t.role === "user") say(chat, "u", t.text);
        else answer(chat, say(chat, "b", ""), t.text, t.citations);
      });
      chat.scrollTop = chat.scrollHeight;
    }
    await resume();
  }

  /* Keep an unfinished interview's id and current question for this tab (never the answers). */
  function keep() {
    var on = iv.id && !iv.done;
    store("sessionStorage", IV, on ? JSON.stringify({ id: iv.id, total: iv.total, q: iv.q,
      shown: mode === "iv" }) : null);
  }

  /* Continue an unfinished interview after a reload or on another page. */
  async function resume() {
    var saved = null;
    try { saved = JSON.parse(store("sessionStorage", IV) || "null"); } catch (e) { /* bad */ }
    if (!saved || !saved.id || !saved.q) return;
    iv = { id: saved.id, total: saved.total || 1, done: false, q: saved.q };
    await competencies().catch(function () { /* labels fall back to ids */ });
    ivlog.textContent = "";
    say(ivlog, "b", "Your interview continues where you left it.");
    ask1(saved.q);
    if (saved.shown) setMode("iv");
  }

  async function competencies() {
    if (names) return;
    var got = {};
    (await call("GET", "api/interview/competencies")).forEach(function (c) { got[c.id] = c.name; });
    names = got;
  }

  function full() { return matchMedia("(max-width:480px)").matches; }

  async function open(quiet) {
    panel.hidden = false;
    launch.hidden = true;
    launch.setAttribute("aria-expanded", "true");
    panel.setAttribute("aria-modal", String(full()));
    store("sessionStorage", OPEN, "1");
    if (!restored) await restore();
    if (quiet !== true) (touch ? current().log : current().box).focus();
  }

  function shut() {
    panel.hidden = true;
    launch.hidden = false;
    launch.setAttribute("aria-expanded", "false");
    store("sessionStorage", OPEN, null);
    launch.focus();
  }

  function current() {
    return mode === "chat" ? { log: chat, box: ask.box } : { log: ivlog, box: ans.box };
  }

  function events(block, bubble, state) {
    var type = "message", data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) type = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
    });
    if (!data) return;
    var payload = JSON.parse(data);
    if (type === "token") {
      state.text += payload.text;
      rich(bubble, state.text);
      reveal(chat, bubble);
    } else if (type === "done") {
      sid(payload.session_id);
      state.done = true;
      answer(chat, bubble, payload.answer, payload.citations, true);
      var practice = payload.practice || {};
      var question = practice.question_text || payload.question_text;
      if (question) {
        actions(bubble, [{ label: "Practise this question", run: function () {
          interview({ question_text: question });
        } }]);
      }
    } else if (type === "error") {
      bubble.className = "m e";
      rich(bubble, problem(400, payload));
    }
  }

  async function stream(message, retried) {
    var res = await fetch(api + "api/chat/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: message, session_id: sid() }),
    });
    if (!res.ok) {
      var body = await res.json().catch(function () { return null; });
      var code = body && body.error && body.error.code;
      if (res.status === 404 && code === "unknown_session" && !retried) {
        sid(null);
        return stream(message, true);
      }
      say(chat, "e", problem(res.status, body, res.headers.get("Retry-After")));
      return;
    }
    var bubble = say(chat, "b", "");
    bubble.setAttribute("aria-busy", "true");
    var reader = res.body.getReader(), decoder = new TextDecoder(), buffer = "";
    var state = { text: "" };
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r/g, "");
      var cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        events(buffer.slice(0, cut), bubble, state);
        buffer = buffer.slice(cut + 2);
      }
    }
    bubble.removeAttribute("aria-busy");
    return state.done;
  }

  /* Run one request with the send buttons disabled; errors become a message in `log`. */
  async function guarded(log, work) {
    if (busy) return;
    busy = ask.send.disabled = ans.send.disabled = true;
    var ok = false;
    try {
      ok = await work();
    } catch (e) {
      say(log, "e", problem(e && e.status || 0, e && e.body, e && e.wait));
      if (!e || !e.status) {
        console.warn("Director Coach: cannot reach " + api + " (is this site listed in BOT_ALLOWED_ORIGINS?)", e);
      }
    } finally {
      busy = ask.send.disabled = ans.send.disabled = false;
      if (!ok) current().box.focus();
    }
  }

  function submit(event) {
    if (event) event.preventDefault();
    var message = ask.box.value.trim();
    if (!message || busy) return;
    ask.box.value = "";
    var sg = chat.querySelector(".sg");
    if (sg) sg.remove();
    say(chat, "u", message);
    guarded(chat, function () { return stream(message, false); });
  }

  /* Interview mode: one question at a time, scores and cited feedback, then the scorecard. */
  function setMode(next) {
    mode = next;
    var inIv = next === "iv";
    chat.hidden = ask.form.hidden = inIv;
    ivlog.hidden = ans.form.hidden = !inIv;
    toggle.textContent = inIv ? "Back to chat" : "Practice interview";
    fresh.textContent = inIv ? "New interview" : "New conversation";
    keep();
  }

  function label(id) { return (names && names[id]) || id; }

  function ask1(q, again) {
    var head = (again ? "Again: " : "") + "Question " + (q.number || 1) + " of " + iv.total;
    var m = say(ivlog, "b", "**" + head + " \u00b7 " + label(q.competency) + "**\n\n" + q.text);
    m.setAttribute("tabindex", "-1");
    return m;
  }

  function interview(body) {
    setMode("iv");
    ivlog.textContent = "";
    iv = { id: null, total: 0, done: false, q: null };
    keep();
    say(ivlog, "b", "A mock medical-director interview: answer as you would in the room " +
      "(a situation, what you did, who you involved, the measured result). Each answer is " +
      "scored 1-5 with feedback from the guides.");
    return guarded(ivlog, async function () {
      await competencies();
      var pid = store("localStorage", PRACTICE);
      var started = await call("POST", "api/interview/start", Object.assign({
        session_id: sid() || undefined, practice_id: pid || undefined,
      }, body.question_text ? { question_text: body.question_text } : { questions: length }));
      iv.id = started.interview_id;
      iv.total = started.total || 1;
      iv.q = started.question;
      keep();
      if (started.practice_id) store("localStorage", PRACTICE, started.practice_id);
      var q = ask1(started.question);
      (touch ? q : ans.box).focus();
      return true;
    });
  }

  /* The score line, a before/after line on a retry, the cited feedback, length and time. */
  function scores(r) {
    var text = "**" + (r.score_line || "Overall " + r.overall + "/5") + "**";
    if (r.previous) {
      var dims = Object.keys(r.delta || {}).filter(function (d) {
        return d !== "overall" && r.delta[d];
      }).map(function (d) { return d + " " + (r.delta[d] > 0 ? "+" : "") + r.delta[d]; });
      text += "\nBefore \u2192 after: " + r.previous.overall + " \u2192 " + r.overall +
        (dims.length ? " (" + dims.join(", ") + ")" : "");
      if ((r.now_covered || []).length) {
        text += "\nNow covered: " + r.now_covered.map(function (p) { return p.text || p; }).join("; ");
      }
    }
    var info = r.insights;
    if (info && info.words) text += "\n" + info.words + " words, about " + info.speaking_time + " spoken";
    return text + "\n\n" + (r.feedback || "");
  }

  function reply(event) {
    if (event) event.preventDefault();
    var text = ans.box.value.trim();
    if (!text || busy) return;
    if (!iv.id || iv.done) return interview({});
    ans.box.value = "";
    say(ivlog, "u", text);
    guarded(ivlog, async function () {
      var r = await call("POST", "api/interview/" + iv.id + "/answer", { answer: text })
        .catch(function (e) {
          if (e && e.status === 404) { iv.done = true; keep(); } // gone: the next answer starts anew
          throw e;
        });
      var m = answer(ivlog, say(ivlog, "b", ""), scores(r), r.citations, true);
      if (r.next_question) ask1(iv.q = r.next_question);
      iv.done = !!r.done;
      keep();
      if (r.done) await scorecard(m);
      return true;
    });
  }

  async function scorecard(after) {
    var card = await call("GET", "api/interview/" + iv.id + "/scorecard");
    var lines = ["**Interview complete. Overall " + card.overall + " / 5**"];
    var comps = Object.keys(card.by_competency || {}).map(function (c) {
      return label(c) + " " + card.by_competency[c];
    });
    if (comps.length) lines.push("By competency: " + comps.join(" \u00b7 "));
    if ((card.strengths || []).length) lines.push("\n**Strengths**\n- " + card.strengths.join("\n- "));
    var areas = (card.improvements || []).map(function (a) {
      return typeof a === "string" ? a : a.area + ": " + (a.advice || "");
    });
    if (areas.length) lines.push("\n**To work on**\n- " + areas.join("\n- "));
    var m = say(ivlog, "b", lines.join("\n"));
    var base = api + "api/interview/" + iv.id;
    actions(m, [
      { label: "Download scorecard (Markdown)", href: "data:text/markdown;charset=utf-8," +
        encodeURIComponent(card.markdown || ""), attrs: { download: "director-coach-scorecard.md" } },
      { label: "Printable scorecard", href: base + "/scorecard.html",
        attrs: { target: "_blank", rel: "noopener" } },
      { label: "Retry last question", run: retry },
      { label: "New interview", run: function () { interview({}); } },
    ]);
    if (after) reveal(ivlog, after);
  }

  function retry() {
    guarded(ivlog, async function () {
      var r = await call("POST", "api/interview/" + iv.id + "/retry");
      iv.done = false;
      iv.total = r.total || iv.total;
      iv.q = r.question;
      keep();
      ask1(r.question, true).focus();
      return true;
    });
  }

  async function restart() {
    if (mode === "iv") return interview({});
    var id = sid();
    sid(null);
    greet();
    ask.box.focus();
    if (id) {
      try { await call("DELETE", "api/session/" + encodeURIComponent(id)); } catch (e) { /* gone */ }
    }
  }

  function focusables() {
    return Array.prototype.filter.call(
      panel.querySelectorAll("button,textarea,summary,a[href],[tabindex='0']"),
      function (n) { return !n.disabled && n.getClientRects().length; });
  }

  /* Keep Tab inside the open panel; Escape closes it. */
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") return shut();
    if (e.key !== "Tab") return;
    var all = focusables(), first = all[0], last = all[all.length - 1];
    var at = root.activeElement;
    if (e.shiftKey ? at === first || !panel.contains(at) : at === last) {
      e.preventDefault();
      (e.shiftKey ? last : first).focus();
    }
  });
  document.addEventListener("focusin", function (e) {
    if (!panel.hidden && full() && e.target !== host) current().log.focus();
  });
  /* Typing while an answer has focus goes to the text box. */
  [chat, ivlog].forEach(function (log) {
    log.addEventListener("keydown", function (e) {
      if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey && e.key !== " ") {
        current().box.focus();
      }
    });
  });

  launch.addEventListener("click", open);
  close.addEventListener("click", shut);
  toggle.addEventListener("click", function () {
    if (mode === "iv") {
      setMode("chat");
      ask.box.focus();
    } else if (iv.id && !iv.done) {
      setMode("iv");
      ans.box.focus();
    } else interview({});
  });
  fresh.addEventListener("click", restart);
  ask.form.addEventListener("submit", submit);
  ans.form.addEventListener("submit", reply);
  ask.box.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) submit(e);
  });

  function mount() {
    document.body.appendChild(host);
    if (store("sessionStorage", OPEN)) open(true);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
