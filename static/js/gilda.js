// Small progressive enhancements. Every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
    button.addEventListener("click", function () {
      var root = document.documentElement;
      var current = root.getAttribute("data-theme");
      if (!current) {
        current = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
      }
      var next = current === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { window.localStorage.setItem("gilda-theme", next); } catch (e) { /* private mode */ }
    });
  });
});

// Live length counters: <textarea data-char-counter="ID"> updates the element #ID, which the
// server renders with the starting count. Delegated, so forms swapped in by htmx work too.
document.addEventListener("input", function (event) {
  var field = event.target;
  if (!field.matches || !field.matches("[data-char-counter]")) return;
  var counter = document.getElementById(field.getAttribute("data-char-counter"));
  if (!counter) return;
  var max = counter.getAttribute("data-max");
  counter.textContent = field.value.length + (max ? "/" + max : "");
});

// The server renders the home's blocks in place unless it knows scripts run: then it sends
// placeholders that htmx fills in, so the first paint does not wait for every block.
document.cookie = "gilda_js=1; path=/; max-age=31536000; SameSite=Lax";
