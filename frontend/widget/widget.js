// Bihuan chat widget: <script src="https://<bihuan>/static/chat/widget.js" data-channel="KEY">
// Bundled by esbuild at set-up (scripts/frontend.py); no dependency, nothing from a CDN.
// Everything lives in a shadow root so that the host page's styles cannot reach it.
import { css } from "./style.js";
import { texts } from "./texts.js";

const script = document.currentScript;

function start() {
  if (!script || !script.dataset.channel) return;
  const key = script.dataset.channel;
  const base = new URL(script.src, location.href);
  const socketUrl = `${base.protocol === "https:" ? "wss:" : "ws:"}//${base.host}/ws/chat/${encodeURIComponent(key)}/`;
  const lang = pickLanguage(script.dataset.lang);
  const t = texts[lang];
  const storeKey = `bihuan-chat:${key}`;
  const MAX_CHARS = 2000;

  // --- state kept across reloads: the signed visitor token and the messages not yet stored
  const saved = load();
  let token = saved.token || "";
  let pending = Array.isArray(saved.pending) ? saved.pending : [];
  let lastId = 0; // the newest message id shown in this page
  let socket = null;
  let welcomed = false;
  let retry = 0;
  let retryTimer = 0;
  let online = true;
  let typingSentAt = 0;
  let typingStop = 0;
  let agentTypingTimer = 0;
  let offlineBody = "";

  function load() {
    try {
      return JSON.parse(localStorage.getItem(storeKey) || "{}") || {};
    } catch (_error) {
      return {};
    }
  }
  function save() {
    try {
      localStorage.setItem(storeKey, JSON.stringify({ token, pending }));
    } catch (_error) {
      // private mode: the conversation lasts as long as the page
    }
  }

  // --- the DOM --------------------------------------------------------------------------
  const host = document.createElement("div");
  host.setAttribute("data-bihuan-chat", key);
  const root = host.attachShadow({ mode: "open" });
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
    // A constructed sheet is not an inline style: it works under a strict CSP.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    const style = document.createElement("style");
    style.textContent = css;
    root.appendChild(style);
  }
  const el = (tag, attrs = {}, children = []) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.appendChild(child);
    return node;
  };

  const launcher = el("button", { class: "launcher", type: "button", "data-testid": "chat-launcher", "aria-label": t.open }, [
    el("span", { class: "launcher-icon", "aria-hidden": "true", text: "💬" }),
    el("span", { text: t.title }),
  ]);
  const status = el("span", { class: "status", "data-testid": "chat-status" });
  const close = el("button", { class: "close", type: "button", "aria-label": t.close, text: "×" });
  const header = el("div", { class: "header" }, [el("div", { class: "title", text: t.title }), status, close]);
  const notice = el("div", { class: "notice", "data-testid": "chat-notice", hidden: "" });
  const list = el("ol", { class: "messages", "data-testid": "chat-messages", "aria-live": "polite" });
  const typing = el("div", { class: "typing", "data-testid": "chat-typing", hidden: "", text: t.agentTyping });
  const input = el("textarea", { class: "input", rows: "2", maxlength: String(MAX_CHARS), placeholder: t.placeholder, "aria-label": t.placeholder, "data-testid": "chat-input" });
  const send = el("button", { class: "send", type: "submit", "data-testid": "chat-send", text: t.send });
  const composer = el("form", { class: "composer" }, [input, send]);

  const field = (name, type, label) => el("label", { class: "field" }, [el("span", { text: label }), el("input", { name, type, maxlength: "254", "data-testid": `offline-${name}` })]);
  const offlineText = el("textarea", { name: "body", rows: "3", maxlength: String(MAX_CHARS), "data-testid": "offline-body", "aria-label": t.yourMessage });
  const offlineError = el("p", { class: "error", hidden: "", "data-testid": "offline-error" });
  const offline = el("form", { class: "offline", hidden: "", "data-testid": "chat-offline-form" }, [
    el("p", { class: "offline-intro", "data-testid": "chat-offline-message" }),
    field("name", "text", t.name),
    field("email", "email", t.email),
    field("phone", "tel", t.phone),
    el("label", { class: "field" }, [el("span", { text: t.yourMessage }), offlineText]),
    offlineError,
    el("button", { class: "send wide", type: "submit", "data-testid": "offline-send", text: t.leaveMessage }),
  ]);
  const panel = el("section", { class: "panel", hidden: "", role: "dialog", "aria-label": t.title, "data-testid": "chat-panel" }, [header, notice, list, typing, offline, composer]);
  root.append(launcher, panel);
  document.body.appendChild(host);

  function setConnection(state) {
    host.setAttribute("data-connection", state);
    status.textContent = state === "open" ? (online ? t.online : t.offline) : t.reconnecting;
    status.setAttribute("data-state", state === "open" ? (online ? "online" : "offline") : "connecting");
  }
  setConnection("connecting");

  launcher.addEventListener("click", () => {
    panel.hidden = false;
    launcher.hidden = true;
    host.setAttribute("data-open", "true");
    input.focus();
  });
  close.addEventListener("click", () => {
    panel.hidden = true;
    launcher.hidden = false;
    host.removeAttribute("data-open");
  });

  // --- messages on screen ----------------------------------------------------------------
  const byId = new Map();
  const byClient = new Map();

  function show(entry, state) {
    let item = (entry.id && byId.get(entry.id)) || (entry.client_id && byClient.get(entry.client_id));
    if (!item) {
      item = el("li", { class: `message from-${entry.from}` }, [el("div", { class: "bubble", text: entry.body })]);
      if (entry.from === "agent" && entry.author) item.prepend(el("div", { class: "author", text: entry.author }));
      list.appendChild(item);
    }
    item.setAttribute("data-from", entry.from);
    item.setAttribute("data-state", state);
    if (entry.client_id) {
      item.setAttribute("data-client-id", entry.client_id);
      byClient.set(entry.client_id, item);
    }
    if (entry.id) {
      item.setAttribute("data-id", String(entry.id));
      byId.set(entry.id, item);
      lastId = Math.max(lastId, entry.id);
    }
    list.scrollTop = list.scrollHeight;
    return item;
  }

  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  function clientId() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return `c-${Date.now().toString(36)}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
  }

  function queue(body) {
    const message = { client_id: clientId(), body };
    pending.push(message);
    save();
    show({ from: "visitor", body, client_id: message.client_id }, "pending");
    if (welcomed) transmit(message);
  }

  function transmit(message) {
    // The client id goes first: a frame refused as too large can still be matched to it.
    frame({ client_id: message.client_id, type: "message", body: message.body });
  }

  function settle(clientIdValue) {
    pending = pending.filter((m) => m.client_id !== clientIdValue);
    save();
  }

  function frame(data) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(data));
  }

  // --- the connection ----------------------------------------------------------------------
  function connect() {
    clearTimeout(retryTimer);
    if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) return;
    welcomed = false;
    setConnection("connecting");
    socket = new WebSocket(socketUrl);
    socket.addEventListener("open", () => {
      frame({ type: "hello", token, after: lastId, lang });
    });
    socket.addEventListener("message", (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch (_error) {
        return;
      }
      receive(data);
    });
    socket.addEventListener("close", () => {
      welcomed = false;
      setConnection("closed");
      retry = Math.min(retry + 1, 5);
      retryTimer = setTimeout(connect, Math.min(500 * 2 ** retry, 5000));
    });
  }

  function receive(data) {
    if (data.type === "welcome") {
      welcomed = true;
      retry = 0;
      token = data.token;
      online = Boolean(data.online);
      save();
      setConnection("open");
      if (data.greeting && !list.querySelector(".greeting")) {
        list.prepend(el("li", { class: "message from-agent greeting", "data-testid": "chat-greeting" }, [el("div", { class: "bubble", text: data.greeting })]));
      }
      for (const entry of data.history || []) {
        show(entry, "sent");
        if (entry.client_id) settle(entry.client_id);
      }
      const offlineMode = !online && !data.identified;
      offline.hidden = !offlineMode;
      composer.hidden = offlineMode;
      offline.querySelector(".offline-intro").textContent = data.offline_message || t.offlineDefault;
      showNotice(!online && data.identified ? data.offline_message || t.offlineDefault : "");
      if (online && data.queue) showNotice(t.waiting.replace("{n}", data.queue));
      for (const message of pending) {
        show({ from: "visitor", body: message.body, client_id: message.client_id }, "pending");
        transmit(message);
      }
    } else if (data.type === "ack") {
      settle(data.client_id);
      show(data.entry, "sent");
    } else if (data.type === "entry") {
      show(data.entry, "sent");
      typing.hidden = true;
    } else if (data.type === "typing") {
      typing.hidden = !data.typing;
      clearTimeout(agentTypingTimer);
      if (data.typing) agentTypingTimer = setTimeout(() => (typing.hidden = true), 6000);
    } else if (data.type === "queue") {
      showNotice(data.waiting && data.position ? t.waiting.replace("{n}", data.position) : "");
    } else if (data.type === "identified") {
      offline.hidden = true;
      composer.hidden = false;
      offlineError.hidden = true;
      if (offlineBody) {
        queue(offlineBody);
        offlineBody = "";
        offlineText.value = "";
        showNotice(t.leftMessage);
      }
    } else if (data.type === "error") {
      failed(data);
    }
  }

  function failed(data) {
    const item = data.client_id && byClient.get(data.client_id);
    if (data.code === "rate_limited") {
      showNotice(data.message);
      setTimeout(() => {
        const message = pending.find((m) => m.client_id === data.client_id);
        if (message) transmit(message);
      }, 5000);
      return;
    }
    if (item) {
      // Refused for good (too long, empty): never resent; the visitor sees why.
      settle(data.client_id);
      item.setAttribute("data-state", "failed");
      item.appendChild(el("div", { class: "failed", text: data.message }));
      return;
    }
    if (!offline.hidden) {
      offlineError.textContent = data.message;
      offlineError.hidden = false;
    }
  }

  // --- typing and sending ----------------------------------------------------------------
  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = input.value.trim();
    if (!body) return;
    input.value = "";
    queue(body);
    stopTyping();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    const now = Date.now();
    if (now - typingSentAt > 2000) {
      typingSentAt = now;
      frame({ type: "typing", typing: true });
    }
    clearTimeout(typingStop);
    typingStop = setTimeout(stopTyping, 3000);
  });
  function stopTyping() {
    clearTimeout(typingStop);
    if (typingSentAt) frame({ type: "typing", typing: false });
    typingSentAt = 0;
  }

  offline.addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(offline);
    const email = String(form.get("email") || "").trim();
    const phone = String(form.get("phone") || "").trim();
    const body = String(form.get("body") || "").trim();
    if (!email && !phone) {
      offlineError.textContent = t.contactRequired;
      offlineError.hidden = false;
      return;
    }
    if (!body) return;
    // The message is queued once the details are accepted (a typo in the email is shown
    // on the form, and the message waits in it).
    offlineBody = body;
    frame({ type: "identify", name: String(form.get("name") || "").trim(), email, phone });
  });

  window.addEventListener("online", connect);
  connect();
}

function pickLanguage(wanted) {
  const value = (wanted || navigator.language || "zh").toLowerCase();
  return value.startsWith("zh") ? "zh" : "en";
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
