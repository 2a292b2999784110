// "Use my location" on a record form: shown only when the employee consented to the
// field's purpose. The position is asked for at that moment (never watched, never in the
// background) and kept in the field's hidden input as the sync endpoint reads it; the
// accuracy the phone reports is shown. A refusal or no fix leaves the field empty.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-locate]");
    if (!button) {
      return;
    }
    var key = button.getAttribute("data-locate");
    var input = document.getElementById("field-" + key);
    var shown = document.getElementById("field-" + key + "-shown");
    if (!input || !shown || !navigator.geolocation) {
      return;
    }
    shown.textContent = shown.getAttribute("data-text-waiting");
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var c = position.coords;
        input.value = JSON.stringify({
          latitude: c.latitude,
          longitude: c.longitude,
          accuracy: c.accuracy,
          source: "device",
        });
        shown.textContent = shown
          .getAttribute("data-text-accuracy")
          .replace("{m}", String(Math.round(c.accuracy)));
        button.disabled = false;
      },
      function () {
        input.value = "";
        shown.textContent = shown.getAttribute("data-text-failed");
        button.disabled = false;
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 }
    );
  });

  // A kept record starts a new, empty form: its position goes with it.
  document.addEventListener("outbox:kept", function (event) {
    event.target.querySelectorAll("[data-locate]").forEach(function (button) {
      var key = button.getAttribute("data-locate");
      var input = document.getElementById("field-" + key);
      var shown = document.getElementById("field-" + key + "-shown");
      if (input) {
        input.value = ""; // a hidden input keeps its value through form.reset()
      }
      if (shown) {
        shown.textContent = "";
      }
    });
  }, true);
})();
