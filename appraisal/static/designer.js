/* Live checking for the template designer. Everything also works without this file:
   the forms post and the server checks; this only tells the admin sooner. */
(function () {
  "use strict";
  var token = document.querySelector('input[name="csrf_token"]');

  function check(box) {
    var feedback = document.getElementById(box.id + "-feedback");
    if (!box.value.trim()) {
      box.classList.remove("is-invalid", "is-valid");
      feedback.textContent = "";
      return;
    }
    fetch(box.dataset.checkUrl, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token.value : ""},
      body: JSON.stringify({
        template_id: Number(box.dataset.template), context: box.dataset.formula,
        key: box.dataset.key || null, formula: box.value
      })
    }).then(function (response) { return response.json(); }).then(function (body) {
      feedback.textContent = "";
      if (body.ok) {
        box.classList.remove("is-invalid");
        box.classList.add("is-valid");
        return;
      }
      box.classList.remove("is-valid");
      box.classList.add("is-invalid");
      var message = document.createElement("span");
      message.className = "text-danger formula-error";
      message.textContent = body.error.message +
        (body.error.column ? " (" + box.dataset.columnLabel + " " + body.error.column + ")" : "");
      feedback.appendChild(message);
      if (body.error.suggestion) {
        var fix = document.createElement("button");
        fix.type = "button";
        fix.className = "btn btn-link btn-sm p-0 ms-2 formula-suggestion";
        fix.textContent = body.error.suggestion;
        fix.addEventListener("click", function () {
          var wrong = (body.error.message.match(/`([^`]+)`/) || [])[1];
          if (wrong) { box.value = box.value.replace(wrong, body.error.suggestion); }
          check(box);
          box.focus();
        });
        feedback.appendChild(fix);
      }
    }).catch(function () { /* offline or signed out: the server checks on save */ });
  }

  document.querySelectorAll("[data-formula]").forEach(function (box) {
    var timer = null;
    box.dataset.columnLabel = document.documentElement.lang === "zh-CN" ? "列" : "column";
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { check(box); }, 250);
    });
    if (box.value.trim()) { check(box); }
  });

  document.querySelectorAll("[data-insert]").forEach(function (button) {
    button.addEventListener("click", function () {
      var box = document.getElementById(button.dataset.target);
      var text = button.dataset.insert;
      var start = box.selectionStart || box.value.length, end = box.selectionEnd || start;
      box.value = box.value.slice(0, start) + text + box.value.slice(end);
      var caret = start + (text.endsWith("()") ? text.length - 1 : text.length);
      box.focus();
      box.setSelectionRange(caret, caret);
      box.dispatchEvent(new Event("input"));
    });
  });

  var weight = document.querySelector("[data-other-weights]");
  var live = document.querySelector("[data-live-sum]");
  if (weight && live) {
    var update = function () {
      var total = Number(weight.dataset.otherWeights) + (Number(weight.value) || 0);
      live.textContent = "→ " + Math.round(total * 100) / 100 + " / 100";
      live.className = Math.abs(total - 100) < 1e-6 ? "text-success" : "text-danger";
    };
    weight.addEventListener("input", update);
    update();
  }
})();
