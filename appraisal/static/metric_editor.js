/* The metric editor shows only the inputs the chosen way of counting uses, and shows the
   fields of a newly chosen source at once. Without this file every input is shown, the
   "show this source's fields" button does the second, and the server keeps only what the
   chosen way of counting uses. */
(function () {
  "use strict";
  var form = document.querySelector("[data-metric-editor]");
  if (!form) { return; }
  var aggregation = document.getElementById("aggregation");
  var source = document.getElementById("source");
  var refresh = form.querySelector("[data-refresh]");
  function update() {
    form.querySelectorAll("[data-for-aggregations]").forEach(function (group) {
      group.hidden = group.dataset.forAggregations.split(" ").indexOf(aggregation.value) < 0;
    });
  }
  aggregation.addEventListener("change", update);
  update();
  if (source && refresh) {
    refresh.hidden = true;
    source.addEventListener("change", function () {
      if (form.requestSubmit) { form.requestSubmit(refresh); } else { refresh.click(); }
    });
  }
})();
