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

// A region that scrolls (a wide table on a phone, the narrative preview) can be reached and
// scrolled with the keyboard.
function scrollersFocusable() {
  for (const region of document.querySelectorAll("table, .table-scroll, #preview-side")) {
    const style = getComputedStyle(region);
    const sideways = style.overflowX !== "visible" && region.scrollWidth > region.clientWidth + 1;
    const down = style.overflowY !== "visible" && region.scrollHeight > region.clientHeight + 1;
    if ((sideways || down) && !region.hasAttribute("tabindex")) {
      region.setAttribute("tabindex", "0");
    }
  }
}
document.addEventListener("DOMContentLoaded", scrollersFocusable);
document.addEventListener("htmx:afterSettle", scrollersFocusable);
window.addEventListener("resize", scrollersFocusable);

// The facilitator's step timer counts down where script runs; the planned end time is on the
// page either way.
function countDown() {
  for (const timer of document.querySelectorAll(".timer[data-ends]")) {
    const left = Math.round((Date.parse(timer.dataset.ends) - Date.now()) / 1000);
    const minutes = Math.floor(Math.abs(left) / 60);
    const seconds = String(Math.abs(left) % 60).padStart(2, "0");
    timer.textContent = left >= 0 ? `${minutes}:${seconds} left` : `${minutes}:${seconds} over`;
    timer.classList.toggle("over", left < 0);
  }
}
document.addEventListener("DOMContentLoaded", () => {
  countDown();
  setInterval(countDown, 1000);
});
