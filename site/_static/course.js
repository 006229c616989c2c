// Course pages: every section headed "Going deeper: ..." is marked optional and folded under
// its heading (as the notebooks save it collapsed); a click, or a link into it, opens it.
(function () {
  "use strict";

  // The saved widgets (ipywidgets' HTML manager) typeset their labels through MathJax 2's
  // MathJax.Hub.Queue; the pages load MathJax 3, which has no Hub. Map it to MathJax 3.
  var pending = [];
  function installHub() {
    if (!window.MathJax || window.MathJax.Hub) return;
    window.MathJax.Hub = {
      Queue: function (job) {
        var el = Array.isArray(job) ? job[2] : null;
        if (!el) return;
        if (window.MathJax.typesetPromise) window.MathJax.typesetPromise([el]);
        else pending.push(el);
      },
    };
  }
  if (window.MathJax && !window.MathJax.version) {  // the configuration, before MathJax loads
    var startup = window.MathJax.startup = window.MathJax.startup || {};
    var ready = startup.ready;
    startup.ready = function () {
      if (ready) ready(); else window.MathJax.startup.defaultReady();
      installHub();
      window.MathJax.startup.promise.then(function () {
        if (pending.length) window.MathJax.typesetPromise(pending.splice(0));
      });
    };
  }
  installHub();

  function fold() {
    document.querySelectorAll("section > h2, section > h3").forEach(function (h) {
      if (!/^Going deeper\b/.test(h.textContent.trim())) return;
      var section = h.parentElement;
      if (section.classList.contains("vaelib-deeper")) return;
      section.classList.add("vaelib-deeper");
      var tag = document.createElement("span");
      tag.className = "vaelib-optional";
      tag.textContent = "optional";
      h.insertBefore(tag, h.querySelector(".headerlink"));
      var details = document.createElement("details");
      details.className = "vaelib-deeper-fold";
      var summary = document.createElement("summary");
      summary.textContent = "An optional section, for a second reading: click to open it";
      details.appendChild(summary);
      while (h.nextSibling) details.appendChild(h.nextSibling);
      section.appendChild(details);
    });
    openTarget();
  }
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) return;
    var details = target.closest("details.vaelib-deeper-fold") ||
      (target.classList.contains("vaelib-deeper") && target.querySelector("details.vaelib-deeper-fold"));
    if (details && !details.open) { details.open = true; target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openTarget);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fold);
  else fold();
})();
