// The webmaster page: copy buttons, and controls that refresh the preview
// and snippets as soon as they change. Without it the page still works:
// the form has a submit button and the snippets can be selected by hand.
(function () {
  "use strict";
  var form = document.getElementById("controls");
  if (form) {
    form.addEventListener("change", function () { form.submit(); });
    var apply = form.querySelector(".apply");
    if (apply) apply.hidden = true;
  }
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    var label = b.textContent;
    b.addEventListener("click", function () {
      var t = document.getElementById(b.getAttribute("data-copy"));
      var done = function () {
        b.textContent = b.getAttribute("data-done");
        setTimeout(function () { b.textContent = label; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(t.value).then(done, function () { fallback(t, done); });
      } else {
        fallback(t, done);
      }
    });
  });
  function fallback(t, done) {
    t.focus();
    t.select();
    if (document.execCommand("copy")) done();
  }
})();
