/* Bihuan (闭环) agent workspace: the little JavaScript the pages need.
 * - CSRF token on every htmx request
 * - flash messages (auto-dismiss for successes)
 * - kanban drag and drop (SortableJS) posting the status change; a refusal puts the card back
 * - @mention autocomplete in internal notes
 * - knowledge: insert an article into the reply; "/" offers the reply templates
 * - the triage rule form's value list follows the chosen field
 * - SLA countdown badges tick every 30 seconds (the server's formats, from data attributes)
 */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.body.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  // --- Flash messages -------------------------------------------------------------------
  function autoDismiss(root) {
    root.querySelectorAll(".alert-success, .alert-info").forEach(function (alert) {
      if (alert.dataset.dismissScheduled) return;
      alert.dataset.dismissScheduled = "1";
      window.setTimeout(function () {
        if (window.bootstrap && alert.isConnected) {
          window.bootstrap.Alert.getOrCreateInstance(alert).close();
        }
      }, 5000);
    });
  }

  // Remove the messages shown so far (the board keeps one message at a time).
  function clearFlash() {
    var area = document.getElementById("flash");
    if (!area) return;
    area.querySelectorAll(".alert").forEach(function (alert) {
      alert.remove();
    });
  }

  function flash(message, level, options) {
    var area = document.getElementById("flash");
    if (!area) return;
    if (options && options.replace) clearFlash();
    var alert = document.createElement("div");
    alert.className = "alert alert-" + (level || "info") + " alert-dismissible fade show";
    alert.setAttribute("role", level === "danger" ? "alert" : "status");
    alert.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", area.dataset.closeLabel || "Close");
    alert.appendChild(close);
    area.prepend(alert);
    autoDismiss(area);
  }
  window.bihuanFlash = flash;

  document.addEventListener("DOMContentLoaded", function () {
    autoDismiss(document);
  });
  document.body.addEventListener("htmx:afterSwap", function () {
    autoDismiss(document);
  });

  // --- Confirmations --------------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // --- Kanban ---------------------------------------------------------------------------
  function updateCounts(board) {
    board.querySelectorAll(".kanban-column").forEach(function (column) {
      var count = column.querySelectorAll(".kanban-card").length;
      var label = column.querySelector(".count");
      if (label) label.textContent = count + (column.dataset.more === "true" ? "+" : "");
    });
  }

  function putBack(event) {
    var reference = event.from.children[event.oldIndex] || null;
    event.from.insertBefore(event.item, reference);
  }

  function initKanban() {
    var board = document.querySelector("[data-kanban]");
    if (!board || typeof window.Sortable === "undefined") return;
    var canMove = board.dataset.canMove === "true";
    board.addEventListener("pointerdown", clearFlash);
    board.querySelectorAll(".kanban-list").forEach(function (list) {
      window.Sortable.create(list, {
        group: "tickets",
        sort: false,
        disabled: !canMove,
        animation: 150,
        forceFallback: true,
        fallbackTolerance: 4,
        ghostClass: "kanban-ghost",
        // A new move dismisses the answer to the previous one: messages never pile up.
        onStart: clearFlash,
        onEnd: function (event) {
          if (event.from === event.to) return;
          var card = event.item;
          var body = new FormData();
          body.append("number", card.dataset.number);
          body.append("status", event.to.dataset.status);
          card.classList.add("is-saving");
          fetch(board.dataset.moveUrl, {
            method: "POST",
            headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
            body: body,
            credentials: "same-origin",
          })
            .then(function (response) {
              return response
                .json()
                .catch(function () {
                  return {};
                })
                .then(function (data) {
                  return { ok: response.ok, data: data };
                });
            })
            .then(function (result) {
              card.classList.remove("is-saving");
              if (result.ok) {
                card.dataset.status = result.data.status;
                flash(result.data.message, "success", { replace: true });
              } else {
                putBack(event);
                flash(result.data.message || board.dataset.errorText, "danger", { replace: true });
              }
              updateCounts(board);
            })
            .catch(function () {
              card.classList.remove("is-saving");
              putBack(event);
              updateCounts(board);
              flash(board.dataset.errorText, "danger", { replace: true });
            });
        },
      });
    });
  }

  // --- Triage rule form: only the value list of the chosen field is shown ----------------
  function initRuleForm(form) {
    var field = form.querySelector('select[name="field"]');
    if (!field) return;
    function sync() {
      form.querySelectorAll("[data-rule-value-group]").forEach(function (group) {
        group.hidden = group.dataset.ruleValueGroup !== field.value;
      });
    }
    field.addEventListener("change", sync);
    sync();
  }

  // --- Suggestions under a textarea: "@name" mentions and "/" reply templates ------------
  // Typing the trigger and a few letters fetches suggestions (a JSON list under listKey);
  // the arrows move, Enter or Tab takes one, Escape or leaving the field closes the menu.
  function attachSuggestions(area, options) {
    var holder = area.parentElement;
    holder.classList.add("position-relative");
    var menu = document.createElement("div");
    menu.className = "dropdown-menu shadow-sm " + options.menuClass;
    menu.setAttribute("role", "listbox");
    if (options.testid) menu.dataset.testid = options.testid;
    holder.appendChild(menu);
    var timer = null;
    var active = 0;
    var typed = null;
    var shown = [];

    function hide() {
      menu.classList.remove("show");
      menu.innerHTML = "";
      typed = null;
      shown = [];
    }

    function take(index) {
      var item = shown[index];
      hide();
      if (item !== undefined) options.choose(item);
    }

    function highlight() {
      menu.querySelectorAll(".dropdown-item").forEach(function (node, index) {
        node.classList.toggle("active", index === active);
      });
    }

    function show(list) {
      menu.innerHTML = "";
      shown = options.limit ? list.slice(0, options.limit) : list.slice();
      if (!shown.length) {
        hide();
        return;
      }
      shown.forEach(function (item, index) {
        var node = document.createElement("button");
        node.type = "button";
        node.className = "dropdown-item";
        node.setAttribute("role", "option");
        options.render(item, node);
        node.addEventListener("mousedown", function (event) {
          event.preventDefault();
          take(index);
        });
        menu.appendChild(node);
      });
      active = 0;
      highlight();
      if (options.belowArea) {
        menu.style.top = area.offsetTop + area.offsetHeight + "px";
        menu.style.left = area.offsetLeft + "px";
      }
      menu.classList.add("show");
    }

    area.addEventListener("input", function () {
      var match = area.value.slice(0, area.selectionStart).match(options.pattern);
      if (!match) {
        hide();
        return;
      }
      typed = match[1];
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        fetch(options.url + "?q=" + encodeURIComponent(typed || ""), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        })
          .then(function (response) {
            return response.json();
          })
          .then(function (data) {
            if (typed !== null) show(data[options.listKey] || []);
          })
          .catch(hide);
      }, 120);
    });

    area.addEventListener("keydown", function (event) {
      if (!menu.classList.contains("show")) return;
      if (event.key === "ArrowDown") {
        active = (active + 1) % shown.length;
        highlight();
        event.preventDefault();
      } else if (event.key === "ArrowUp") {
        active = (active - 1 + shown.length) % shown.length;
        highlight();
        event.preventDefault();
      } else if (event.key === "Enter" || event.key === "Tab") {
        take(active);
        event.preventDefault();
      } else if (event.key === "Escape") {
        hide();
      }
    });
    area.addEventListener("blur", function () {
      window.setTimeout(hide, 150);
    });
  }

  var MENTION = /(?:^|\s)@([\w.\-\u4e00-\u9fff]{0,50})$/;

  function initMentions(area) {
    attachSuggestions(area, {
      url: area.dataset.mentionsUrl,
      pattern: MENTION,
      listKey: "users",
      menuClass: "mention-menu",
      belowArea: true,
      render: function (user, node) {
        node.dataset.username = user.username;
        node.textContent =
          user.name === user.username ? "@" + user.username : user.name + " (@" + user.username + ")";
      },
      choose: function (user) {
        var caret = area.selectionStart;
        var before = area.value.slice(0, caret);
        var after = area.value.slice(caret);
        var start = before.lastIndexOf("@");
        area.value = before.slice(0, start) + "@" + user.username + " " + after;
        var position = start + user.username.length + 2;
        area.setSelectionRange(position, position);
        area.focus();
      },
    });
  }

  // --- Knowledge: insert an article or a reply template into the reply --------------------
  function replyArea() {
    return document.querySelector("textarea[data-templates-url]");
  }

  function insertText(area, text, start, end) {
    var before = area.value.slice(0, start);
    var after = area.value.slice(end);
    var gap = before && !/\s$/.test(before) ? "\n" : "";
    area.value = before + gap + text + after;
    var position = before.length + gap.length + text.length;
    area.focus();
    area.setSelectionRange(position, position);
    area.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function postForText(url) {
    return fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.message || "");
        return data.text || "";
      });
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-insert-url]") : null;
    var area = replyArea();
    if (!button || !area) return;
    event.preventDefault();
    var tab = document.getElementById("tab-reply");
    if (tab && window.bootstrap) window.bootstrap.Tab.getOrCreateInstance(tab).show();
    var start = area.selectionStart;
    var end = area.selectionEnd;
    postForText(button.dataset.insertUrl)
      .then(function (text) {
        insertText(area, text, start, end);
      })
      .catch(function (error) {
        flash(error.message || "Error", "danger");
      });
  });

  // Typing "/" and a few letters in the reply offers the reply templates (话术).
  var SLASH = /(?:^|\s)\/([^\s\/]{0,30})$/;

  function initTemplates(area) {
    attachSuggestions(area, {
      url: area.dataset.templatesUrl,
      pattern: SLASH,
      listKey: "templates",
      menuClass: "template-menu",
      testid: "template-menu",
      limit: 8,
      render: function (item, node) {
        var title = document.createElement("strong");
        title.textContent = item.title;
        var meta = document.createElement("span");
        meta.className = "template-meta";
        meta.textContent = " " + item.scenario + " · " + item.language;
        var preview = document.createElement("div");
        preview.className = "template-preview";
        preview.textContent = item.preview;
        node.appendChild(title);
        node.appendChild(meta);
        node.appendChild(preview);
      },
      choose: function (item) {
        var caret = area.selectionStart;
        var start = area.value.slice(0, caret).lastIndexOf("/");
        postForText(item.url)
          .then(function (text) {
            insertText(area, text, start, caret);
          })
          .catch(function (error) {
            flash(error.message || "Error", "danger");
          });
      },
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initKanban();
    document.querySelectorAll("[data-rule-form]").forEach(initRuleForm);
    document.querySelectorAll("textarea[data-mentions-url]").forEach(initMentions);
    document.querySelectorAll("textarea[data-templates-url]").forEach(initTemplates);
    var hash = window.location.hash;
    if (hash === "#timeline-end" || hash === "#note") {
      var end = document.getElementById("timeline-end");
      if (end) end.scrollIntoView({ block: "center" });
    }
    if (hash === "#note" && window.bootstrap) {
      var tab = document.getElementById("tab-note");
      if (tab) window.bootstrap.Tab.getOrCreateInstance(tab).show();
    }
  });
  // --- SLA countdown badges ----------------------------------------------------------------
  // The same arithmetic and translated formats as tickets.views.sla_countdown: wall time to
  // the due instant, "overdue …" after it. The state (colour) changes when the page reloads.
  function slaCountdown(element, now) {
    var badge = element.closest("[data-due]");
    var due = badge ? Date.parse(badge.dataset.due) : NaN;
    if (isNaN(due)) return;
    var seconds = Math.trunc((due - now) / 1000);
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var rest = minutes % 60;
    var text;
    if (days) {
      text = element.dataset.fmtDays.replace("%(days)s", days).replace("%(hours)s", hours);
    } else if (hours) {
      text = element.dataset.fmtHours
        .replace("%(hours)s", hours)
        .replace("%(minutes)02d", String(rest).padStart(2, "0"));
    } else {
      text = element.dataset.fmtMinutes.replace("%(minutes)s", rest);
    }
    if (seconds < 0) text = element.dataset.fmtOverdue.replace("%(time)s", text);
    element.textContent = text;
  }

  function tickSlaBadges() {
    var now = Date.now();
    document.querySelectorAll(".sla-countdown").forEach(function (element) {
      slaCountdown(element, now);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    window.setInterval(tickSlaBadges, 30000);
  });
  document.body.addEventListener("htmx:afterSwap", tickSlaBadges);

})();
