// Form steps (amtsweg.forms.render): after a submit that failed validation the page is rendered
// again with an error summary; move the focus there so that keyboard and screen reader users
// land on the list of problems. Not after htmx swaps (they keep the focus on the field).
//
// An htmx refresh (a choice that shows or hides fields) replaces the whole step form with the
// server's rendering of the answers posted at the start of the request. Whatever the person
// typed into other fields while the request was under way is carried over into the new form,
// so that nothing typed is lost.
(function () {
  "use strict";
  var FORM_ID = "step-form";
  var sent = null;

  function focusSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  function state(control) {
    if (control.type === "checkbox" || control.type === "radio") {
      return control.checked ? "1" : "0";
    }
    if (control.tagName === "SELECT" && control.multiple) {
      return Array.prototype.filter.call(control.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; }).join("\u0000");
    }
    return control.value;
  }

  function snapshot(form) {
    var values = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[id], select[id], textarea[id]"),
      function (control) {
        if (control.type !== "file" && control.type !== "hidden") {
          values[control.id] = state(control);
        }
      });
    return values;
  }

  function carryOver(control, value) {
    if (control.type === "checkbox" || control.type === "radio") {
      if (value === "1") {
        control.setAttribute("checked", "");
      } else {
        control.removeAttribute("checked");
      }
    } else if (control.tagName === "SELECT") {
      var chosen = value.split("\u0000");
      Array.prototype.forEach.call(control.options, function (o) {
        if (chosen.indexOf(o.value) >= 0) {
          o.setAttribute("selected", "");
        } else {
          o.removeAttribute("selected");
        }
      });
    } else if (control.tagName === "TEXTAREA") {
      control.textContent = value;
    } else {
      control.setAttribute("value", value);
    }
  }

  function isStepForm(element) {
    var form = document.getElementById(FORM_ID);
    return form !== null && (element === form || form.contains(element));
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isStepForm(event.target)) {
      sent = snapshot(document.getElementById(FORM_ID));
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!sent || !isStepForm(event.target) || !event.detail.shouldSwap) {
      return;
    }
    var now = snapshot(document.getElementById(FORM_ID));
    var changed = Object.keys(now).filter(function (id) { return now[id] !== sent[id]; });
    sent = null;
    if (!changed.length) {
      return;
    }
    var template = document.createElement("template");
    template.innerHTML = event.detail.serverResponse;
    changed.forEach(function (id) {
      var control = template.content.getElementById(id);
      if (control && !control.disabled && !control.readOnly) {
        carryOver(control, now[id]);
      }
    });
    event.detail.serverResponse = template.innerHTML;
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
