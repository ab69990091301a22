// Sieve review: small progressive enhancements. Every page works without this script.
(function () {
  "use strict";
  var body = document.body;
  var shortcuts = {};
  try { shortcuts = JSON.parse(body.getAttribute("data-shortcuts") || "{}"); } catch (e) { shortcuts = {}; }
  var byKey = {};
  Object.keys(shortcuts).forEach(function (action) { byKey[shortcuts[action]] = action; });

  // Reveal one thumbnail at a time: revealing another blurs the last one again.
  var revealed = null;
  function blur(img) {
    var id = img.getAttribute("data-revealed");
    if (!id) return;
    img.src = "/thumbs/" + id;
    img.classList.add("blurred");
    img.removeAttribute("data-revealed");
  }
  function reveal(link) {
    var img = link.querySelector("img");
    if (!img) return;
    if (revealed && revealed !== img) blur(revealed);
    if (img.getAttribute("data-revealed")) { blur(img); revealed = null; return; }
    var id = link.getAttribute("data-file");
    img.src = "/thumbs/" + id + "?reveal=1";
    img.classList.remove("blurred");
    img.setAttribute("data-revealed", id);
    revealed = img;
  }
  document.querySelectorAll("a.reveal").forEach(function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); reveal(link); });
  });

  // The current row of a list: moved with the next/previous keys.
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-file]"));
  var current = -1;
  function setCurrent(i) {
    if (!rows.length) return;
    if (current >= 0) rows[current].classList.remove("current");
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows[current].classList.add("current");
    rows[current].scrollIntoView({ block: "nearest" });
  }
  var tickAll = document.getElementById("tick-all");
  if (tickAll) {
    tickAll.hidden = false;
    tickAll.addEventListener("change", function () {
      document.querySelectorAll("#match-table input[name=file]").forEach(function (box) { box.checked = tickAll.checked; });
    });
  }

  // A decision key submits the page's decision form: for the ticked files, or else the
  // current row's file (or the file shown).
  function decide(action) {
    var form = document.getElementById("decisions");
    if (!form) return;
    var ticked = form.querySelectorAll("input[name=file]:checked").length > 0;
    var target = "";
    if (!ticked && !form.querySelector("input[type=hidden][name=file]")) {
      if (current < 0) return;
      target = ":" + rows[current].getAttribute("data-file");
    }
    var act = action;
    if (action.indexOf("category_") === 0) {
      var value = action.slice("category_".length);
      var select = form.querySelector("select[name=category]");
      if (select) select.value = value === "none" ? "" : value;
      act = "categorise";
    }
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "act";
    input.value = act + target;
    form.appendChild(input);
    form.submit();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    var action = byKey[event.key];
    if (!action) return;
    event.preventDefault();
    if (action === "next") return setCurrent(current + 1);
    if (action === "previous") return setCurrent(current - 1);
    if (action === "reveal") {
      var row = current >= 0 ? rows[current] : document.querySelector("[data-file]");
      var link = row && row.querySelector("a.reveal");
      if (link) reveal(link);
      return;
    }
    decide(action);
  });
})();
