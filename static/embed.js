/*! oabadge embed */
/* Renders Zalo OA QR badges in a Shadow DOM.
 * <script async src=".../embed.js" data-oabadge="SLUG" data-size="192"
 *   data-theme="light|dark|mono|auto" data-layout="badge|qr|card"
 *   data-label="accessible name"></script>
 * or <div data-oabadge="SLUG" ...></div> anywhere, and one script tag.
 * No cookies, storage, network requests besides the image, eval, innerHTML
 * or inline handlers; styles are set through the CSSOM, so a strict CSP
 * needs only img-src and script-src for this server. One global: oabadge. */
(function (w, d) {
  "use strict";
  var G = w.oabadge;
  if (G && G.scan) { G.scan(); return; } // included twice: just look again
  var B = "{{PUBLIC_URL}}";
  var SIZES = [128, 192, 256, 384, 512, 1024];
  var SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
  var DONE = "data-oabadge-done";
  var mm = function (q) { return !!(w.matchMedia && w.matchMedia(q).matches); };
  // A phone cannot scan its own screen: there the badge gets a tap button.
  var touch = mm("(hover: none) and (pointer: coarse)") || mm("(max-width: 480px)");

  function pick(v, allowed, def) {
    for (var i = 0; i < allowed.length; i++) if (String(allowed[i]) === v) return allowed[i];
    return def;
  }
  // css sets declarations through the CSSOM, with !important so the
  // portal's own !important rules cannot win on the light-DOM host.
  function css(el, decl) {
    for (var k in decl) el.style.setProperty(k, decl[k], "important");
  }
  function el(tag, parent) {
    var e = d.createElement(tag);
    if (parent) parent.appendChild(e);
    return e;
  }
  function src(slug, size, theme, layout) {
    return B + "/b/" + slug + ".svg?size=" + size + "&theme=" + theme + "&layout=" + layout;
  }

  function render(t) {
    if (t.hasAttribute(DONE)) return;
    t.setAttribute(DONE, "");
    var slug = t.getAttribute("data-oabadge") || "";
    if (!SLUG.test(slug)) return;
    var layout = pick(t.getAttribute("data-layout"), ["badge", "qr", "card"], "badge");
    var size = pick(t.getAttribute("data-size"), SIZES, 192);
    if (layout === "card" && size < 256) size = 256;
    var theme = pick(t.getAttribute("data-theme"), ["light", "dark", "mono", "auto"], "light");
    var label = t.getAttribute("data-label") || "Zalo OA";
    var en = t.getAttribute("data-lang") === "en";
    var h = layout === "qr" ? size : layout === "card" ? size >> 1 : (size * 5) >> 2;
    var box = { width: size + "px", height: h + "px" };

    // The host is the only element in the portal's DOM: reset everything
    // the portal's CSS could set on it, then fix its box before any image.
    var host = el("span");
    css(host, { all: "initial", display: "inline-block", "vertical-align": "top", position: "relative", overflow: "hidden" });
    css(host, box);
    if (t.tagName === "SCRIPT") t.parentNode.insertBefore(host, t.nextSibling);
    else t.appendChild(host);
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

    var a = el("a", root);
    a.href = B + "/go/" + slug;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.setAttribute("aria-label", label);
    a.title = label;
    css(a, { display: "block", position: "relative", outline: "revert", "text-decoration": "none" });
    css(a, box);

    var pic = el("picture", a);
    if (theme === "auto") {
      var s = el("source", pic);
      s.media = "(prefers-color-scheme: dark)";
      s.srcset = src(slug, size, "dark", layout);
      theme = "light";
    }
    var img = el("img", pic);
    img.src = src(slug, size, theme, layout);
    img.width = size;
    img.height = h;
    img.alt = "";
    img.decoding = "async";
    css(img, { display: "block", border: "0", margin: "0", padding: "0", "max-width": "none" });
    css(img, box);

    if (touch) {
      var b = el("span", a);
      b.textContent = en ? "Open Zalo OA" : "Mở Zalo OA";
      css(b, {
        position: "absolute", left: "8%", right: "8%", bottom: "6%", display: "block",
        padding: "10px 0", "border-radius": "999px", background: "#0068ff", color: "#fff",
        "font": "bold 16px/1.2 system-ui, sans-serif", "text-align": "center",
        "box-shadow": "0 2px 6px rgba(0,0,0,.3)"
      });
    }
  }

  function scan() {
    var all = d.querySelectorAll("[data-oabadge]");
    for (var i = 0; i < all.length; i++) render(all[i]);
  }

  w.oabadge = { v: "{{VERSION}}", scan: scan };
  scan();
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", scan);
})(window, document);
