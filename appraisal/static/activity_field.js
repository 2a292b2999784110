/* The activity field editor shows only the inputs the chosen type uses. Without this file
   every input is shown, and the server keeps only what the type uses. */
(function () {
  "use strict";
  var type = document.getElementById("type");
  if (!type) { return; }
  function update() {
    document.querySelectorAll("[data-for-types]").forEach(function (group) {
      group.hidden = group.dataset.forTypes.split(" ").indexOf(type.value) < 0;
    });
  }
  type.addEventListener("change", update);
  update();
})();
