// Stilla console: pages work without this file. It only moves the keyboard focus to an
// error summary when a form comes back with errors, so screen readers announce them.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
});
