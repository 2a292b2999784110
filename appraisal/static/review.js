// Live score panel and visibility rules on a review form: the server scores what is typed
// (nothing is saved) and says which items are hidden by their `visible_if`.
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  var panel = document.getElementById("score-panel");
  if (!form || !panel || !form.dataset.scoreUrl) { return; }
  var timer = null;
  var pending = null;

  function refresh() {
    if (pending) { pending.abort(); }
    pending = new AbortController();
    var body = new FormData(form);
    fetch(form.dataset.scoreUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": body.get("csrf_token") || "" },
      signal: pending.signal
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      panel.innerHTML = data.html;
      var hidden = new Set(data.hidden);
      form.querySelectorAll("[data-field]").forEach(function (box) {
        box.classList.toggle("d-none", hidden.has(box.dataset.field));
      });
      panel.dataset.updated = String(Date.now());
    }).catch(function () { /* the saved page still shows the last score */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
