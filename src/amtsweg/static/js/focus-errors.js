// After a submit that failed, every page with an error summary (id "error-summary") moves the
// focus there, so that keyboard and screen reader users land on the list of problems instead
// of the top of the page (issue 12). The form steps do the same in forms.js.
(function () {
  "use strict";
  function focusSummary() {
    var summary = document.getElementById("error-summary");
    if (summary && document.activeElement === document.body) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
