// Stilla console: pages work without this file. It moves the keyboard focus to an
// error summary when a form comes back with errors, so screen readers announce them,
// and fills people pickers' suggestion lists as one types.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var asked = "";
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var typed = input.value.trim();
        if (typed.length < 2 || typed === asked) return;
        asked = typed;
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(typed), {
          credentials: "same-origin",
          headers: { accept: "application/json" },
        })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (people) {
            if (typed !== asked) return;
            list.replaceChildren.apply(list, people.map(function (p) {
              var option = document.createElement("option");
              option.value = p.value;
              option.label = p.label;
              option.textContent = p.label;
              return option;
            }));
          })
          .catch(function () {});
      }, 150);
    });
  });
});
