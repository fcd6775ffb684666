// The webmaster page: copy buttons that say what they copied in a status
// region. The controls change nothing until Apply is pressed, so moving
// through a list with the arrow keys never reloads the page or moves focus
// (WCAG 3.2.2). Without this script the page still works: the snippets can
// be selected by hand.
(function () {
  "use strict";
  var status = document.getElementById("copy-status");
  var timer;
  function say(text) {
    if (!status) return;
    clearTimeout(timer);
    status.textContent = text;
    timer = setTimeout(function () { status.textContent = ""; }, 8000);
  }
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var t = document.getElementById(b.getAttribute("data-copy"));
      var done = function () {
        say((status && status.getAttribute("data-done") || "") + ": " + b.getAttribute("data-name"));
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(t.value).then(done, function () { fallback(t, b, done); });
      } else {
        fallback(t, b, done);
      }
    });
  });
  // fallback copies through a selection, then gives focus back to the button.
  function fallback(t, b, done) {
    t.focus();
    t.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    b.focus();
    if (ok) done();
  }
})();
