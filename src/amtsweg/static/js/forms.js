// Form steps (amtsweg.forms.render): after a submit that failed validation the page is rendered
// again with an error summary; move the focus there so that keyboard and screen reader users
// land on the list of problems. Not after htmx swaps (they keep the focus on the field).
(function () {
  "use strict";
  function focusSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
