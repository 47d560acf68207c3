// Runs in <head> before paint: apply the saved light/dark choice, else follow the system.
(function () {
  var saved = null;
  try { saved = window.localStorage.getItem("gilda-theme"); } catch (e) { /* private mode */ }
  if (saved === "light" || saved === "dark") {
    document.documentElement.setAttribute("data-theme", saved);
  }
})();
