/* The conversation page: fetch the conversation every few seconds and redraw what is new.
 * Text goes in through textContent only; the page's forms work without this script. */
(function () {
  "use strict";
  var card = document.getElementById("conversation");
  var list = document.getElementById("transcript");
  var stateNode = document.getElementById("state");
  var strings = JSON.parse(document.getElementById("desk-strings").textContent);
  var shown = list.querySelectorAll("li:not(#transcript-empty)").length;
  var state = null;

  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function stamp(t) {
    // the office is in China: show Beijing time whatever the browser's zone
    var d = new Date((Number(t) + 8 * 3600) * 1000);
    return pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }

  function draw(line) {
    var item = document.createElement("li");
    item.className = line.who;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = stamp(line.t) + " " + (strings[line.who] || line.who);
    item.appendChild(who);
    item.appendChild(document.createTextNode(line.text));
    list.appendChild(item);
  }

  function poll() {
    fetch(card.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) {
        if (!c) return;
        var empty = document.getElementById("transcript-empty");
        if (c.transcript.length > shown && empty) empty.remove();
        for (var i = shown; i < c.transcript.length; i++) draw(c.transcript[i]);
        if (c.transcript.length !== shown) list.scrollTop = list.scrollHeight;
        shown = c.transcript.length;
        if (state === null) state = c.state;
        if (c.state !== state) {
          // taken or handed back elsewhere (another colleague, the idle limit, WeChat's tools): the forms change
          var typing = document.getElementById("reply-text");
          if (!typing || !typing.value) window.location.reload();
          stateNode.textContent = strings[c.state] || strings.bot_state;
          state = c.state;
        }
      })
      .catch(function () { /* the next poll tries again */ });
  }

  list.scrollTop = list.scrollHeight;
  window.setInterval(poll, (parseInt(card.dataset.poll, 10) || 3) * 1000);
})();
