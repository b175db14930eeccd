// Ringhost's live pages: the server sends the whole board (HTML it rendered and
// escaped) on connect and after each change; this swaps it in, shows whether the
// stream is live, makes the times tick between boards (times in states, countdowns,
// rows past their alert), filters the rows, and keeps what someone is typing into a
// form across boards. It never polls.
(function () {
  "use strict";
  var board = document.getElementById("board");
  var badge = document.getElementById("live-badge");
  var filter = document.getElementById("board-filter");
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
      var elapsed = now - Number(cells[i].getAttribute("data-since"));
      cells[i].textContent = format(elapsed / 1000);
      var over = cells[i].getAttribute("data-over");
      if (over !== null) {
        var row = cells[i].closest("tr") || cells[i];
        row.classList.toggle("over", elapsed > Number(over));
      }
    }
    var counts = board.querySelectorAll("[data-until]");
    for (var j = 0; j < counts.length; j++) {
      counts[j].textContent = format((Number(counts[j].getAttribute("data-until")) - now) / 1000);
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
  // Rows of the board's tables that do not contain the filter's words are hidden.
  function applyFilter() {
    if (!filter) { return; }
    var words = filter.value.toLowerCase().trim();
    var rows = board.querySelectorAll("tr[data-agent], tr[data-campaign], tr[data-queue], tr[data-trunk]");
    for (var i = 0; i < rows.length; i++) {
      rows[i].hidden = words !== "" && rows[i].textContent.toLowerCase().indexOf(words) < 0;
    }
  }
  if (filter) { filter.addEventListener("input", applyFilter); }
  // What someone typed or picked in a board's fields (those with an id: a new call's
  // form has new ids) is carried into the next board, with the focus.
  function fields() {
    return board.querySelectorAll("input[id]:not([type=hidden]), textarea[id], select[id]");
  }
  function swap(html) {
    var kept = {};
    var typed = fields();
    for (var i = 0; i < typed.length; i++) {
      var f = typed[i];
      kept[f.id] = f.type === "checkbox" || f.type === "radio" ? f.checked : f.value;
    }
    var focused = document.activeElement && board.contains(document.activeElement) ? document.activeElement.id : "";
    board.innerHTML = html;
    var fresh = fields();
    for (var j = 0; j < fresh.length; j++) {
      var g = fresh[j];
      if (!Object.prototype.hasOwnProperty.call(kept, g.id)) { continue; }
      if (g.type === "checkbox" || g.type === "radio") { g.checked = kept[g.id]; } else { g.value = kept[g.id]; }
    }
    if (focused) {
      var again = document.getElementById(focused);
      if (again) { again.focus(); }
    }
    synchronise();
    tick();
    applyFilter();
    board.dispatchEvent(new CustomEvent("board-swapped"));
  }
  var source = new EventSource(board.getAttribute("data-stream"));
  source.addEventListener("board", function (event) {
    swap(event.data);
    show(true);
  });
  source.onopen = function () { show(true); };
  source.onerror = function () { show(false); };
  synchronise();
  tick();
  applyFilter();
  setInterval(tick, 1000);
})();
