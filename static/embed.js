/*! oabadge embed 2 */
/* Renders Zalo OA QR badges in a Shadow DOM. The recommended markup is the
 * script-free image link, sized, inside an element naming the badge:
 *   <div data-oabadge="SLUG" data-size="192" data-theme="auto" data-layout="badge">
 *   <a href=".../go/SLUG"><img src=".../b/SLUG.svg?…" width="192" height="240" alt="…"></a></div>
 *   <script async src=".../embed/v2-HASH.js"></script>
 * which this script upgrades in place, in the same box, so nothing moves.
 * Older forms keep working: <script data-oabadge="SLUG" …> (the badge goes
 * after the script; data-align="center|start|end" makes it a block) and an
 * empty <div data-oabadge="SLUG" …> (the badge goes inside).
 * The server's address is read from this script's own URL, so the file's
 * bytes, and so its pinned name, do not depend on where it is served from.
 * No cookies, storage, network requests besides the images, eval,
 * innerHTML or inline handlers; styles are set through the CSSOM, so a
 * strict CSP needs only img-src and script-src for the server. One global:
 * oabadge. */
(function (w, d) {
  "use strict";
  var G = w.oabadge, P = w.performance, t0 = P && P.now();
  if (G && G.scan) { G.scan(); return; } // included twice: just look again
  var END = /\/embed(?:\/[^\/?#]*|\.js)(?:[?#].*)?$/;
  var me = d.currentScript, all, i;
  if (!me || !END.test(me.src)) {
    me = null;
    all = d.getElementsByTagName("script");
    for (i = all.length - 1; i >= 0; i--) if (END.test(all[i].src)) { me = all[i]; break; }
    if (!me) return;
  }
  var B = me.src.replace(END, "");
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
  // css sets declarations through the CSSOM (one parse per call), with
  // !important so the portal's own !important rules cannot win on the
  // light-DOM host.
  function css(el, decl) {
    var s = "";
    for (var k in decl) s += k + ":" + decl[k] + "!important;";
    el.style.cssText += s;
  }
  // soft leaves text spacing to the visitor's own stylesheet (WCAG
  // 1.4.12): set, but not !important.
  function soft(e) {
    e.style.letterSpacing = e.style.wordSpacing = "normal";
  }
  function el(tag, parent) {
    var e = d.createElement(tag);
    if (parent) parent.appendChild(e);
    return e;
  }
  // The parameters in the one order every snippet uses, so a page showing
  // the same badge in two forms fetches it once.
  function src(slug, layout, size, theme) {
    return B + "/b/" + slug + ".svg?layout=" + layout + "&size=" + size + "&theme=" + theme;
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
    var script = t.tagName === "SCRIPT";
    var old = script ? null : t.querySelector("a img");
    var link = old && old.parentNode;
    var label = t.getAttribute("data-label") || old && old.alt || "Zalo OA";
    var en = (t.getAttribute("data-lang") || d.documentElement.lang || "").slice(0, 2) === "en";
    var h = layout === "qr" ? size : layout === "card" ? size >> 1 : (size * 5) >> 2;
    var box = { width: size + "px", height: h + "px" };
    var align = pick(t.getAttribute("data-align"), ["center", "start", "end"], "");

    // The host is the only element in the portal's DOM: reset everything
    // the portal's CSS could set on it, then fix its box before any image.
    var host = el("span");
    css(host, { all: "initial", display: "inline-block", "vertical-align": "top", position: "relative", overflow: "hidden" });
    css(host, box);
    soft(host);
    if (old && link.tagName === "A") {
      // In place of the image link, in the box the portal gave it.
      // The box is the link's when it is a box of its own, else the image's.
      var is = w.getComputedStyle(old), ls = w.getComputedStyle(link), cs = ls.display === "inline" ? is : ls;
      css(host, { "vertical-align": cs.verticalAlign });
      if (cs.display === "block") css(host, { display: "block" });
      if (/%$/.test(is.maxWidth)) css(host, { "max-width": is.maxWidth, height: "auto", "aspect-ratio": size + "/" + h });
      link.parentNode.replaceChild(host, link);
    } else if (script) {
      t.parentNode.insertBefore(host, t.nextSibling);
      if (align) css(host, { display: "block", "margin-inline-start": align === "start" ? "0" : "auto", "margin-inline-end": align === "end" ? "0" : "auto" });
    } else {
      t.appendChild(host);
    }
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

    var a = el("a", root);
    a.href = B + "/go/" + slug;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.setAttribute("aria-label", label);
    a.title = label;
    css(a, { display: "block", position: "relative", outline: "none", "text-decoration": "none", width: "100%", height: "100%" });

    var pic = el("picture", a);
    if (theme === "auto") {
      var s = el("source", pic);
      s.media = "(prefers-color-scheme: dark)";
      s.srcset = src(slug, layout, size, "dark");
      theme = "light";
    }
    var img = el("img", pic);
    img.src = src(slug, layout, size, theme);
    img.width = size;
    img.height = h;
    img.alt = "";
    img.decoding = "async";
    css(img, { display: "block", border: "0", margin: "0", padding: "0", "max-width": "none", width: "100%", height: "100%" });

    if (touch) {
      // The visible words start the link's name (WCAG 2.5.3), and the
      // button sits on the code, never on the caption.
      var text = en ? "Open Zalo OA" : "Mở Zalo OA";
      a.setAttribute("aria-label", text + ": " + label);
      var b = el("span", a);
      b.textContent = text;
      css(b, {
        position: "absolute", left: layout === "card" ? "3%" : "8%", right: layout === "card" ? "53%" : "8%",
        bottom: layout === "badge" ? "23%" : "6%", display: "block",
        padding: "10px 0", "border-radius": "999px", background: "#0068ff", color: "#fff",
        font: "bold 16px/1.2 system-ui, sans-serif", "text-align": "center",
        "box-shadow": "0 2px 6px rgba(0,0,0,.3)"
      });
      soft(b);
    }

    // The focus ring is drawn inside the badge, so no overflow of the
    // portal's can clip it: blue for light themes, white for dark ones.
    var ring = el("span", a);
    css(ring, {
      position: "absolute", top: "0", right: "0", bottom: "0", left: "0", display: "none",
      border: "3px solid #0b57d0", "box-shadow": "inset 0 0 0 2px #fff", "pointer-events": "none"
    });
    var show = function (on) {
      try { on = on && a.matches(":focus-visible"); } catch (e) { /* older browsers: every focus */ }
      css(ring, { display: on ? "block" : "none" });
    };
    a.addEventListener("focus", function () { show(true); });
    a.addEventListener("blur", function () { show(false); });
  }

  function scan() {
    var all = d.querySelectorAll("[data-oabadge]");
    for (var i = 0; i < all.length; i++) render(all[i]);
  }

  w.oabadge = G = { v: "2", scan: scan };
  scan();
  G.ms = P ? P.now() - t0 : 0; // what this script cost the page's main thread, for budgets
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", scan);
})(window, document);
