// Ringhost's live pages: the server sends the whole board (HTML it rendered and
// escaped) on connect and after each change; this swaps it in, shows whether the
// stream is live, and makes the times in states tick between boards. It never polls.
(function () {
  "use strict";
  var board = document.getElementById("board");
  var badge = document.getElementById("live-badge");
  if (!board || !window.EventSource) { return; }
  // The host's clock minus the browser's, from the board's own timestamp.
  var offset = 0;
  function format(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
    var mm = h > 0 && m < 10 ? "0" + m : String(m);
    return (h > 0 ? h + ":" : "") + mm + ":" + (r < 10 ? "0" : "") + r;
  }
  function tick() {
    var now = Date.now() + offset;
    var cells = board.querySelectorAll("[data-since]");
    for (var i = 0; i < cells.length; i++) {
      cells[i].textContent = format((now - Number(cells[i].getAttribute("data-since"))) / 1000);
    }
  }
  function synchronise() {
    var content = document.getElementById("board-content");
    if (content) { offset = Number(content.getAttribute("data-now")) - Date.now(); }
  }
  function show(live) {
    if (!badge) { return; }
    badge.textContent = badge.getAttribute(live ? "data-live" : "data-reconnecting");
    badge.className = "badge " + (live ? "live" : "reconnecting");
  }
  // A board that arrives while someone types in one of its fields (a pause's reason)
  // waits until they leave it, so that nothing typed is lost.
  var pending = null;
  function typing() {
    var active = document.activeElement;
    return active && board.contains(active) && active.tagName === "INPUT" && active.type === "text";
  }
  function swap(html) {
    board.innerHTML = html;
    synchronise();
    tick();
  }
  board.addEventListener("focusout", function () {
    setTimeout(function () {
      if (pending !== null && !typing()) { swap(pending); pending = null; }
    }, 0);
  });
  var source = new EventSource(board.getAttribute("data-stream"));
  source.addEventListener("board", function (event) {
    if (typing()) { pending = event.data; } else { pending = null; swap(event.data); }
    show(true);
  });
  source.onopen = function () { show(true); };
  source.onerror = function () { show(false); };
  synchronise();
  setInterval(tick, 1000);
})();
