/* /chat: draws the conversation and talks to /chat/api/*.
 * Every piece of bot or user text goes into the page through textContent, never as HTML,
 * so a message like <img onerror=...> is shown, not run (the page's CSP forbids inline script too). */
(function () {
  "use strict";

  var strings = JSON.parse(document.getElementById("strings").textContent);
  var data = document.body.dataset;
  var maxText = parseInt(data.maxText, 10);
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var sendButton = document.getElementById("send");
  var menuButton = document.getElementById("menu");
  // per conversation, so a new user id (cookie lost or key rotated) starts with a clean screen
  var storeKey = "parkbot-chat:" + data.conversation;
  var busy = false;

  // the HttpOnly cookie now carries an admin ?token=; keep it out of the address bar and history
  if (window.location.search) {
    window.history.replaceState(null, "", window.location.pathname);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Is the newest message in view? Kept true while the user is at the bottom, so a window that
  // shrinks (a phone keyboard opening, a rotated screen) scrolls with it instead of hiding the reply.
  var atBottom = true;

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
    atBottom = true;
  }

  log.addEventListener("scroll", function () {
    atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  });

  function keepNewestInView() {
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  window.addEventListener("resize", keepNewestInView);
  if (window.visualViewport) window.visualViewport.addEventListener("resize", keepNewestInView);
  if (window.ResizeObserver) new ResizeObserver(keepNewestInView).observe(log);

  // Phone numbers become tap-to-call links: mobiles, 400/800 lines and landlines with an area code.
  var PHONE = /(?:400|800)[ -]?\d{3,4}[ -]?\d{3,4}|0\d{2,3}[ -]?\d{7,8}|1[3-9]\d{9}/g;

  function textWithPhones(className, text) {
    var node = el("div", className);
    text = String(text);
    var last = 0;
    text.replace(PHONE, function (match, offset) {
      var before = offset > 0 ? text.charAt(offset - 1) : "";
      var after = text.charAt(offset + match.length);
      if (/\d/.test(before) || /\d/.test(after)) return match; // part of a longer number (a lead number, a date)
      node.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = el("a", "tel", match);
      link.href = "tel:" + match.replace(/[ -]/g, "");
      node.appendChild(link);
      last = offset + match.length;
      return match;
    });
    node.appendChild(document.createTextNode(text.slice(last)));
    return node;
  }

  function row(who) {
    var line = el("div", "row " + who);
    var avatar = el("div", "avatar", who === "bot" ? data.avatar : "");
    avatar.setAttribute("aria-hidden", "true");
    line.appendChild(avatar);
    var content = el("div", "content");
    line.appendChild(content);
    log.appendChild(line);
    return content;
  }

  // only http(s) links: a javascript: URL on a card would run in this page
  function safeUrl(url) {
    if (typeof url !== "string" || !url) return null;
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function drawUser(text) {
    var bubble = el("div", "bubble", text);
    row("user").appendChild(bubble);
    scrollDown();
    return bubble;
  }

  function drawCard(article) {
    var card = el("div", "card");
    card.appendChild(el("div", "card-title", article.title || ""));
    if (article.description) card.appendChild(textWithPhones("card-desc", article.description));
    var href = safeUrl(article.url);
    if (href) {
      var link = el("a", "card-link", strings.openLink);
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      card.appendChild(link);
    }
    return card;
  }

  // Buttons only under the latest reply: mid-form a digit may be an answer (a tax figure, say),
  // so an older list's button could send something the user did not mean.
  function dropQuickReplies() {
    var old = log.querySelectorAll(".quick");
    for (var i = 0; i < old.length; i++) old[i].remove();
  }

  function drawBot(reply, withOptions) {
    if (!reply.text && !reply.article) return; // a person holds the conversation: the bot stays silent
    var content = row("bot");
    if (reply.text) content.appendChild(textWithPhones("bubble", reply.text));
    if (reply.article) content.appendChild(drawCard(reply.article));
    var options = Array.isArray(reply.options) ? reply.options : [];
    // 确认 / 修改 / 取消 at the confirmation, 登记 under a listing: the word itself is sent
    var actions = Array.isArray(reply.actions) ? reply.actions : [];
    if (withOptions) dropQuickReplies();
    if (withOptions && (options.length || actions.length)) {
      var quick = el("div", "quick");
      options.forEach(function (label, i) {
        var button = el("button", "quick-reply", label);
        button.type = "button";
        button.dataset.send = String(i + 1);
        button.disabled = busy;
        quick.appendChild(button);
      });
      actions.forEach(function (word) {
        var button = el("button", "quick-reply action", word);
        button.type = "button";
        button.dataset.send = String(word);
        button.disabled = busy;
        quick.appendChild(button);
      });
      content.appendChild(quick);
    }
    scrollDown();
  }

  function notice(text) {
    log.appendChild(el("div", "notice", text));
    scrollDown();
  }

  // --- what this tab has shown, so a reload keeps the conversation on screen ------------------
  function loadSaved() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(storeKey) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch (e) {
      return [];
    }
  }

  var saved = loadSaved();

  function remember(entry) {
    saved.push(entry);
    if (saved.length > 200) saved = saved.slice(-200);
    try {
      window.sessionStorage.setItem(storeKey, JSON.stringify(saved));
    } catch (e) { /* storage full or disabled: the screen just won't survive a reload */ }
  }

  // --- talking to the server ---------------------------------------------------------------------
  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    menuButton.disabled = value;
    var buttons = log.querySelectorAll(".quick-reply");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = value;
  }

  // A send that failed keeps its bubble, marked, with 重试 beside a readable notice; the text is not lost.
  function failed(bubble, message, retry) {
    var box = el("div", "notice failed-notice");
    box.setAttribute("role", "alert");
    box.appendChild(el("span", "", message));
    if (bubble) {
      bubble.classList.add("failed");
      var again = el("button", "retry", strings.retry);
      again.type = "button";
      again.addEventListener("click", function () {
        if (busy) return;
        box.remove();
        bubble.classList.remove("failed");
        retry();
      });
      box.appendChild(again);
    }
    log.appendChild(box);
    scrollDown();
  }

  // typed: focus goes back to the text box; after a button tap it does not (no phone keyboard popping up)
  function exchange(url, payload, userText, typed, bubble) {
    if (busy) return; // a double click or a second Enter while waiting sends nothing
    setBusy(true);
    if (userText !== undefined && !bubble) bubble = drawUser(userText);
    var typing = el("div", "row bot typing");
    typing.appendChild(el("div", "avatar", data.avatar));
    var dots = el("div", "bubble dots");
    for (var i = 0; i < 3; i++) dots.appendChild(el("span"));
    typing.appendChild(dots);
    log.appendChild(typing);
    scrollDown();

    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Requested-With": "XMLHttpRequest" },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        typing.remove();
        if (response.ok && body) {
          if (userText !== undefined) remember({ who: "user", text: userText });
          drawBot(body, true);
          remember({ who: "bot", reply: body });
        } else if (response.status >= 500 || !body) {
          failed(bubble, strings.sendFailed + (body && body.message ? body.message : strings.networkError), retry);
        } else {
          notice(body.message || strings.networkError); // refused (too long, empty): retrying would not help
        }
      });
    }).catch(function () {
      typing.remove();
      failed(bubble, strings.sendFailed + strings.networkError, retry);
    }).then(function () {
      setBusy(false);
      if (typed) input.focus();
    });

    function retry() {
      exchange(url, payload, userText, false, bubble);
    }
  }

  function sendText(text, typed) {
    text = text.trim();
    if (!text) return;
    if (text.length > maxText) {
      notice(strings.tooLong);
      return;
    }
    exchange(data.messageUrl, { text: text }, text, typed);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    sendText(text, true);
  });

  menuButton.addEventListener("click", function () {
    sendText(strings.menuText, false);
  });

  log.addEventListener("click", function (event) {
    var button = event.target.closest(".quick-reply");
    if (button && !button.disabled) sendText(button.dataset.send, false);
  });

  // --- start: redraw this tab's conversation, or say hello like a new follower -------------------
  if (saved.length) {
    saved.forEach(function (entry, i) {
      if (entry.who === "user") drawUser(entry.text);
      else if (entry.reply) drawBot(entry.reply, i === saved.length - 1);
    });
  } else {
    exchange(data.eventUrl, { event: "subscribe" });
  }
  // a keyboard that pops up before the user asked for it hides half of a phone's screen
  if (!window.matchMedia || !window.matchMedia("(pointer: coarse)").matches) input.focus();

  // --- a person at the admin page took the conversation over: fetch what they say -----------------
  (function followStaff() {
    var cursorKey = "parkbot-chat-push:" + data.conversation;
    var after = Number(window.sessionStorage.getItem(cursorKey) || "0") || 0;
    function poll() {
      fetch(data.updatesUrl + "?after=" + encodeURIComponent(after), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body || !Array.isArray(body.items)) return;
          body.items.forEach(function (line) {
            var reply = { text: line.text, article: null, options: [] };
            drawBot(reply, false);
            remember({ who: "bot", reply: reply });
            after = Math.max(after, Number(line.t) || 0);
          });
          try { window.sessionStorage.setItem(cursorKey, String(after)); } catch (e) { /* see remember() */ }
        })
        .catch(function () { /* the next poll tries again */ });
    }
    poll();
    window.setInterval(poll, 3000);
  })();
})();
