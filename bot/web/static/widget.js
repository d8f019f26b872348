/* Director Coach chat widget. Embed: <script src="https://HOST/widget.js" async></script>
   Options: data-title, data-greeting, data-accent (#hex), data-position (right|left).
   Vanilla JS, no build step. UI lives in an open shadow root; server text is set with
   textContent only. The session id is kept in sessionStorage. */
(function () {
  "use strict";
  var me = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!me || window.__directorCoach) return;
  window.__directorCoach = true;

  var api = new URL(".", me.src).href;
  var opt = me.dataset;
  var title = opt.title || "Director Coach";
  var greeting = opt.greeting || "Hi! Ask me about becoming a medical director.";
  var accent = /^#([0-9a-f]{3}){1,2}$/i.test(opt.accent || "") ? opt.accent : "#1d4ed8";
  var side = opt.position === "left" ? "left" : "right";
  var KEY = "director-coach:session:" + api;
  var busy = false;

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
    "button,textarea{font:inherit}" +
    ".launch{bottom:20px;border:0;border-radius:28px;padding:12px 18px;background:var(--a);" +
    "color:var(--i);font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".panel{bottom:20px;width:min(380px,calc(100vw - 40px));height:min(580px,calc(100vh - 40px));" +
    "display:flex;flex-direction:column;background:#fff;color:#111827;border-radius:14px;" +
    "box-shadow:0 10px 40px rgba(0,0,0,.3);overflow:hidden}" +
    "[hidden]{display:none!important}" +
    "header{display:flex;align-items:center;gap:8px;padding:10px 12px;background:var(--a);color:var(--i)}" +
    "h2{flex:1;margin:0;font-size:16px;font-weight:700;color:inherit}" +
    ".x{border:0;background:transparent;color:inherit;font-size:22px;line-height:1;cursor:pointer;" +
    "padding:4px 8px;border-radius:6px}" +
    ".note{margin:0;padding:6px 12px;font-size:12.5px;background:#fffbeb;color:#78350f;" +
    "border-bottom:1px solid #fde68a}" +
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;background:#f8fafc}" +
    ".m{max-width:90%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere}" +
    ".u{align-self:flex-end;background:var(--a);color:var(--i)}" +
    ".b{align-self:flex-start;background:#fff;border:1px solid #e2e8f0}" +
    ".e{align-self:stretch;background:#fef2f2;color:#991b1b;border:1px solid #fecaca}" +
    ".sh{margin:10px 0 2px;padding-top:8px;border-top:1px solid #e2e8f0;font-size:12px;" +
    "font-weight:700;letter-spacing:.04em;text-transform:uppercase;color:#475569}" +
    "ol{margin:0;padding:0;list-style:none;white-space:normal}" +
    "li{font-size:13.5px;margin:4px 0;color:#1e293b}summary{cursor:pointer}" +
    ".t{display:block;font-size:12px;color:#64748b}" +
    "blockquote{margin:4px 0;padding-left:8px;border-left:3px solid #cbd5e1;color:#475569}" +
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #e2e8f0;background:#fff}" +
    "textarea{flex:1;resize:none;min-height:42px;max-height:120px;padding:9px 10px;" +
    "border:1px solid #94a3b8;border-radius:10px;color:#111827;background:#fff}" +
    ".send{border:0;border-radius:10px;padding:0 16px;background:var(--a);color:var(--i);" +
    "font-weight:600;cursor:pointer}" +
    ".send:disabled{opacity:.6;cursor:wait}" +
    ":focus-visible{outline:3px solid #f59e0b;outline-offset:2px}" +
    "@media (max-width:480px){.panel{inset:0;width:100%;height:100%;border-radius:0}}" +
    "@media (prefers-reduced-motion:no-preference){.launch{transition:transform .15s}" +
    ".launch:hover{transform:scale(1.04)}}";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text != null) node.textContent = text;
    return node;
  }

  /* Append text; **bold** becomes <strong>, still via textContent (never innerHTML). */
  function rich(node, text) {
    node.textContent = "";
    String(text).replace(/^- /gm, "\u2022 ").split(/\*\*(.+?)\*\*/).forEach(function (part, i) {
      node.appendChild(i % 2 ? el("strong", {}, part) : document.createTextNode(part));
    });
  }

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

  var launch = el("button", { class: "launch", type: "button", "aria-label": "Open chat",
    "aria-haspopup": "dialog", "aria-expanded": "false" }, "Chat with " + title);
  var panel = el("section", { class: "panel", role: "dialog", "aria-label": title, hidden: "" });
  var head = el("header");
  var close = el("button", { class: "x", type: "button", "aria-label": "Close chat" }, "\u00d7");
  head.append(el("h2", {}, title), close);
  var note = el("p", { class: "note" },
    "Career coaching only, not medical advice. Do not enter patient information.");
  var log = el("div", { class: "log", role: "log", "aria-label": "Conversation", tabindex: "0" });
  var form = el("form");
  var box = el("textarea", { "aria-label": "Message", rows: "1", maxlength: "4000",
    placeholder: "Ask a question\u2026", enterkeyhint: "send", autocomplete: "off" });
  var send = el("button", { class: "send", type: "submit" }, "Send");
  form.append(box, send);
  panel.append(head, note, log, form);
  root.append(launch, panel);

  function say(cls, text) {
    var m = el("div", { class: "m " + cls });
    rich(m, text);
    log.appendChild(m);
    log.scrollTop = log.scrollHeight;
    return m;
  }

  function open() {
    panel.hidden = false;
    launch.hidden = true;
    launch.setAttribute("aria-expanded", "true");
    if (!log.childNodes.length) say("b", greeting);
    box.focus();
  }

  function shut() {
    panel.hidden = true;
    launch.hidden = false;
    launch.setAttribute("aria-expanded", "false");
    launch.focus();
  }

  function sid(value) {
    try {
      if (value === undefined) return sessionStorage.getItem(KEY);
      if (value) sessionStorage.setItem(KEY, value);
      else sessionStorage.removeItem(KEY);
    } catch (e) { /* storage blocked: the conversation simply is not continued */ }
    return null;
  }

  function sources(bubble, citations) {
    if (!citations || !citations.length) return;
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
    bubble.append(el("p", { class: "sh", "aria-hidden": "true" }, "Sources"), list);
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
    } else if (type === "done") {
      sid(payload.session_id);
      rich(bubble, payload.answer);
      sources(bubble, payload.citations);
    } else if (type === "error") {
      bubble.className = "m e";
      rich(bubble, problem(400, payload));
    }
    log.scrollTop = log.scrollHeight;
  }

  async function ask(message, retried) {
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
        return ask(message, true);
      }
      say("e", problem(res.status, body, res.headers.get("Retry-After")));
      return;
    }
    var bubble = say("b", "");
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
  }

  async function submit(event) {
    if (event) event.preventDefault();
    var message = box.value.trim();
    if (!message || busy) return;
    busy = send.disabled = true;
    box.value = "";
    say("u", message);
    try {
      await ask(message, false);
    } catch (e) {
      say("e", problem(0));
      console.warn("Director Coach: cannot reach " + api + " (is this site listed in BOT_ALLOWED_ORIGINS?)", e);
    } finally {
      busy = send.disabled = false;
      box.focus();
    }
  }

  launch.addEventListener("click", open);
  close.addEventListener("click", shut);
  form.addEventListener("submit", submit);
  box.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) submit(e);
  });
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") shut();
  });

  function mount() { document.body.appendChild(host); }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
