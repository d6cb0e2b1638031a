// The transcript beside the player: click a time to jump there; the line being spoken is marked.
(function () {
  "use strict";
  document.querySelectorAll(".archive-transcript ol[data-media]").forEach(function (list) {
    var media = document.getElementById(list.getAttribute("data-media"));
    if (!media) { return; }
    list.addEventListener("click", function (event) {
      var button = event.target.closest(".archive-seek");
      if (!button) { return; }
      media.currentTime = parseFloat(button.getAttribute("data-start"));
      media.play().catch(function () { /* autoplay may be refused: the position is set */ });
    });
    media.addEventListener("timeupdate", function () {
      var now = media.currentTime;
      list.querySelectorAll("li").forEach(function (line) {
        var active = now >= parseFloat(line.getAttribute("data-start")) &&
          now < parseFloat(line.getAttribute("data-end"));
        line.classList.toggle("is-current", active);
        if (active) { line.setAttribute("aria-current", "true"); } else { line.removeAttribute("aria-current"); }
      });
    });
  });
})();
