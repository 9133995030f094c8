// Keyboard navigation for the presentation view: arrows, PageUp/PageDown, space, Home/End.
// Without this script every slide shows one after the other, which still reads and prints.
(function () {
  "use strict";
  var slides = Array.prototype.slice.call(document.querySelectorAll(".slide"));
  var counter = document.getElementById("slide-counter");
  if (!slides.length) return;
  document.documentElement.classList.add("js");
  var current = 0;

  function show(index) {
    current = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach(function (slide, i) {
      slide.classList.toggle("current", i === current);
    });
    counter.textContent = current + 1 + " / " + slides.length;
    history.replaceState(null, "", "#" + slides[current].id);
  }

  var moves = {
    ArrowRight: 1, ArrowDown: 1, PageDown: 1, " ": 1,
    ArrowLeft: -1, ArrowUp: -1, PageUp: -1
  };
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "Home") show(0);
    else if (event.key === "End") show(slides.length - 1);
    else if (event.key in moves) show(current + moves[event.key]);
    else return;
    event.preventDefault();
  });

  var start = slides.findIndex(function (slide) { return "#" + slide.id === location.hash; });
  show(start < 0 ? 0 : start);
})();
