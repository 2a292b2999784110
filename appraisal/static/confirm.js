// A form marked `data-confirm` (a delete, a removal) asks before it is sent, so one stray
// tap on a phone does not delete anything. Without JavaScript the form still works.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
