// The status page's live alert list: follows /api/v1/alerts/stream and, after a disconnect,
// reconnects with the last event id it received, so no transition is missed.
(function () {
  "use strict";
  var list = document.getElementById("live-alerts");
  var status = document.getElementById("live-status");
  if (!list || !status) { return; }
  var lastId = null;
  var delay = 1000;

  function show(text) { status.textContent = text; }

  function add(message) {
    var item = document.createElement("li");
    var alert = message.alert || {};
    item.dataset.eventId = message.id;
    item.dataset.event = message.event;
    var when = new Date(message.time).toISOString().replace("T", " ").slice(0, 19) + " UTC";
    item.textContent = when + " " + message.event + ": " + alert.rule + " on " + alert.device +
      " (" + alert.severity + ") " + (alert.summary || "");
    list.insertBefore(item, list.firstChild);
  }

  function connect() {
    var url = new URL("/api/v1/alerts/stream", window.location.href);
    url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
    if (lastId) { url.searchParams.set("last_event_id", lastId); }
    var socket = new WebSocket(url.toString());
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "ready") { show("live"); delay = 1000; }
      else if (message.type === "alert") { lastId = message.id; add(message); }
      else if (message.type === "gap") { show(message.message); }
      else if (message.type === "error") { show(message.message); }
    };
    socket.onclose = function (event) {
      if (event.code >= 4400 && event.code < 4500) { show("live updates stopped: " + event.reason); return; }
      show("reconnecting…");
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
}());
