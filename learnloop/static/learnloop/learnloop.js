// learnloop's own behaviour, from a file: the Content-Security-Policy allows no inline script.
"use strict";

// A button with data-print prints the page.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});

// A form with data-reset-after-save empties itself once htmx has saved it (not when the
// server sent it back with errors, which it marks with HX-Retarget).
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (
    form instanceof HTMLFormElement &&
    form.hasAttribute("data-reset-after-save") &&
    event.detail.successful &&
    !event.detail.xhr.getResponseHeader("HX-Retarget")
  ) {
    form.reset();
  }
});
