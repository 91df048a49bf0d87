// Bihuan live workspace: one WebSocket per open page (/ws/live/), fed by the event log.
//
// The page renders #live-root with the newest event id (data-cursor); the socket resumes
// from the last id this page has seen, so a reconnect (network loss, server restart) misses
// nothing. What an event changes is fetched from the server, through the viewer's scope:
// newer timeline entries on a ticket page, the list and unread markers on the inbox.
// Other scripts may listen to `live:events` (detail: the events) and `live:presence`.

const RECONNECT_CODES_FINAL = new Set([4400, 4401, 4404]);
const HEARTBEAT_MS = 15000;
const TYPING_SEND_MS = 2000;
const TYPING_IDLE_MS = 5000;
const MESSAGE_VERB = "ticket.message_added";

const root = document.getElementById("live-root");
if (root) {
  start(root);
}

function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}

function debounce(fn, ms) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

// Runs `task` once at a time; a request while it runs makes it run once more afterwards.
function serial(task) {
  let running = false;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await task();
      } while (again);
    } catch (error) {
      console.warn("live: refresh failed", error);
    } finally {
      running = false;
    }
  };
  return run;
}

function start(root) {
  const timeline = document.querySelector("[data-live-ticket]");
  const ticket = timeline ? Number(timeline.dataset.liveTicket) : null;
  const inbox = document.querySelector("[data-live-inbox]");
  const presenceBox = document.querySelector("[data-live-presence]");
  const text = root.dataset;
  let cursor = Number(root.dataset.cursor) || 0;
  let timelineCursor = cursor;
  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let heartbeat = null;
  let myState = "viewing";
  let stopped = false;

  const setState = (state) => {
    root.dataset.state = state;
  };

  const send = (message) => {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    }
  };

  const sendPresence = (state) => {
    myState = state;
    if (ticket !== null) {
      send({ type: "presence", state });
    }
  };

  function connect() {
    clearTimeout(retryTimer);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    let url = `${scheme}://${location.host}${root.dataset.wsPath}?after=${cursor}`;
    if (ticket !== null) {
      url += `&ticket=${ticket}`;
    }
    setState(attempt === 0 ? "connecting" : "closed");
    socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      attempt = 0;
      setState("open");
      sendPresence(myState);
      clearInterval(heartbeat);
      // Presence on a ticket page, a ping elsewhere: a proxy does not close an idle socket.
      heartbeat = setInterval(
        () => (ticket !== null ? sendPresence(myState) : send({ type: "ping" })),
        HEARTBEAT_MS,
      );
    });
    socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      clearInterval(heartbeat);
      socket = null;
      if (stopped) {
        return;
      }
      if (RECONNECT_CODES_FINAL.has(event.code)) {
        setState("off");
        return;
      }
      setState("closed");
      // Exponential backoff with jitter, at most 30 s: a restarted server is not stampeded.
      const delay = Math.min(30000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt += 1;
      retryTimer = setTimeout(connect, delay);
    });
  }

  function receive(message) {
    if (message.type === "events") {
      cursor = Math.max(cursor, message.cursor);
      handleEvents(message.events);
    } else if (message.type === "reset") {
      cursor = Math.max(cursor, message.cursor);
      refreshTimeline();
      refreshHeader();
      refreshInbox();
    } else if (message.type === "presence") {
      showPresence(message);
    }
  }

  function handleEvents(events) {
    document.dispatchEvent(new CustomEvent("live:events", { detail: events }));
    if (ticket !== null) {
      const here = events.filter((e) => e.ticket === ticket);
      if (here.length) {
        refreshTimeline();
      }
      if (here.some((e) => e.verb !== MESSAGE_VERB)) {
        refreshHeader();
      }
    }
    if (inbox) {
      refreshInbox();
    }
    for (const event of events) {
      if (event.alert && !event.mine) {
        alertAbout(event);
      }
    }
  }

  // --- the ticket page -------------------------------------------------------------------

  const refreshTimeline = serial(async () => {
    if (ticket === null) {
      return;
    }
    const base = root.dataset.timelineUrl.replace("/0/", `/${ticket}/`);
    for (;;) {
      const response = await fetch(`${base}?after=${timelineCursor}`, {
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
      });
      if (!response.ok) {
        return;
      }
      const html = await response.text();
      timelineCursor = Number(response.headers.get("X-Live-Cursor")) || timelineCursor;
      const holder = document.createElement("template");
      holder.innerHTML = html;
      const items = [...holder.content.children].filter((el) => el.tagName === "LI");
      for (const item of items) {
        item.classList.add("live-new");
        timeline.append(item);
        if (window.htmx) {
          window.htmx.process(item);
        }
      }
      if (response.headers.get("X-Live-Complete") !== "0") {
        return;
      }
    }
  });

  const refreshHeader = serial(async () => {
    if (ticket === null) {
      return;
    }
    const response = await fetch(location.pathname, { credentials: "same-origin" });
    if (!response.ok) {
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector(".ticket-header");
    const current = document.querySelector(".ticket-header");
    if (fresh && current) {
      current.replaceWith(document.importNode(fresh, true));
    }
  });

  const presence = new Map();

  function showPresence(message) {
    if (message.state === "left") {
      presence.delete(message.user);
    } else {
      presence.set(message.user, {
        name: message.name,
        state: message.state,
        expires: Date.now() + (message.ttl || 45) * 1000,
      });
    }
    renderPresence();
    document.dispatchEvent(new CustomEvent("live:presence", { detail: message }));
  }

  function renderPresence() {
    if (!presenceBox) {
      return;
    }
    const now = Date.now();
    presenceBox.replaceChildren();
    for (const [user, entry] of presence) {
      if (entry.expires < now) {
        presence.delete(user);
        continue;
      }
      const badge = document.createElement("span");
      badge.className = `live-presence-badge live-presence-${entry.state}`;
      badge.dataset.testid = `presence-${user}`;
      badge.dataset.state = entry.state;
      const template = entry.state === "typing" ? text.textTyping : text.textViewing;
      badge.textContent = format(template, { name: entry.name });
      presenceBox.append(badge);
    }
    presenceBox.hidden = presenceBox.childElementCount === 0;
  }

  if (ticket !== null) {
    setInterval(renderPresence, 5000);
    let lastTyping = 0;
    let idle = null;
    document.addEventListener("input", (event) => {
      if (!(event.target instanceof HTMLTextAreaElement) || event.target.name !== "body") {
        return;
      }
      const now = Date.now();
      if (myState !== "typing" || now - lastTyping > TYPING_SEND_MS) {
        lastTyping = now;
        sendPresence("typing");
      }
      clearTimeout(idle);
      idle = setTimeout(() => sendPresence("viewing"), TYPING_IDLE_MS);
    });
    document.addEventListener("submit", () => {
      clearTimeout(idle);
      sendPresence("viewing");
    });
  }

  // --- the inbox ---------------------------------------------------------------------------

  const refreshUnread = serial(async () => {
    if (!inbox) {
      return;
    }
    const rows = [...inbox.querySelectorAll("tr[data-number]")];
    const numbers = rows.map((row) => row.dataset.number).join(",");
    const response = await fetch(`${root.dataset.unreadUrl}?tickets=${numbers}`, {
      credentials: "same-origin",
    });
    if (!response.ok) {
      return;
    }
    const data = await response.json();
    const unread = new Set(data.tickets.map(String));
    for (const row of rows) {
      const isUnread = unread.has(row.dataset.number);
      row.classList.toggle("live-unread-row", isUnread);
      row.dataset.unread = isUnread ? "1" : "0";
      const subject = row.querySelector(".ticket-subject");
      const dot = row.querySelector(".live-unread-dot");
      if (isUnread && subject && !dot) {
        const marker = document.createElement("span");
        marker.className = "live-unread-dot";
        marker.title = text.textUnread;
        marker.setAttribute("aria-label", text.textUnread);
        subject.before(marker);
      } else if (!isUnread && dot) {
        dot.remove();
      }
    }
    for (const [view, counts] of Object.entries(data.views)) {
      const badge = inbox.querySelector(`[data-live-unread="${view}"]`);
      if (badge) {
        badge.textContent = counts.unread;
        badge.hidden = !counts.unread;
      }
      const total = inbox.querySelector(`[data-testid="view-count-${view}"]`);
      if (total && counts.total !== null && counts.total !== undefined) {
        total.textContent = counts.total;
      }
    }
  });

  const reloadList = serial(async () => {
    const list = document.getElementById("ticket-list");
    if (!list) {
      return;
    }
    const response = await fetch(location.href, {
      headers: { "HX-Request": "true", "HX-Target": "ticket-list" },
      credentials: "same-origin",
    });
    if (!response.ok) {
      return;
    }
    const holder = document.createElement("template");
    holder.innerHTML = (await response.text()).trim();
    const fresh = holder.content.getElementById("ticket-list");
    const current = document.getElementById("ticket-list");
    if (fresh && current) {
      current.replaceWith(fresh);
      if (window.htmx) {
        window.htmx.process(fresh);
      }
    }
    await refreshUnread();
  });

  const refreshInbox = inbox ? debounce(reloadList, 300) : () => {};

  if (inbox) {
    refreshUnread();
    // The list is swapped by the filters (htmx): mark the new rows.
    document.body.addEventListener("htmx:afterSwap", (event) => {
      if (event.target && event.target.id === "ticket-list") {
        refreshUnread();
      }
    });
  }

  // --- desktop notification and sound ------------------------------------------------------

  function alertAbout(event) {
    // Several tabs get the same event: only the first to claim it alerts.
    const key = "bihuan-live-alerted";
    try {
      if (Number(localStorage.getItem(key) || 0) >= event.id) {
        return;
      }
      localStorage.setItem(key, String(event.id));
    } catch {
      // storage disabled: every tab alerts
    }
    const values = { name: event.actor, number: event.ticket };
    const title = format(event.alert === "mention" ? text.textMention : text.textChat, values);
    if (root.dataset.desktop === "1" && "Notification" in window) {
      if (Notification.permission === "granted") {
        const note = new Notification(title, { tag: `bihuan-${event.id}` });
        note.addEventListener("click", () => {
          window.focus();
          location.href = `/tickets/${event.ticket}/`;
        });
      }
    }
    if (root.dataset.sound === "1") {
      chime();
    }
    root.dataset.lastAlert = `${event.alert}:${event.ticket}`;
  }

  connect();
  window.addEventListener("online", () => {
    if (!socket && !stopped) {
      attempt = 0;
      connect();
    }
  });
  window.addEventListener("pagehide", () => {
    stopped = true;
    if (socket) {
      socket.close(1000);
    }
  });
  // Back to a page kept in the browser's back-forward cache: resume from its cursor.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && !socket) {
      stopped = false;
      attempt = 0;
      connect();
    }
  });
}

// A two-note chime made by the Web Audio API (no sound file). Browsers allow audio only
// after the user has interacted with the page; until then this is silent.
let audio = null;

export function chime() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) {
    return;
  }
  audio = audio || new Context();
  if (audio.state === "suspended") {
    audio.resume();
  }
  const now = audio.currentTime;
  [
    [880, 0],
    [1320, 0.16],
  ].forEach(([frequency, offset]) => {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, now + offset);
    gain.gain.exponentialRampToValueAtTime(0.25, now + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.3);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(now + offset);
    oscillator.stop(now + offset + 0.32);
  });
}

// The settings page: ask the browser's permission when desktop notifications are turned on.
for (const box of document.querySelectorAll("[data-live-ask-permission]")) {
  box.addEventListener("change", async () => {
    if (!box.checked || !("Notification" in window)) {
      return;
    }
    const answer = await Notification.requestPermission();
    const note = document.querySelector("[data-live-permission-note]");
    if (note) {
      note.hidden = answer !== "denied";
    }
  });
}
for (const button of document.querySelectorAll("[data-live-test-sound]")) {
  button.addEventListener("click", chime);
}
