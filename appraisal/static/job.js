// A job's page (jobs/job.html): polls the job's JSON while it is queued or running, moves the
// <progress> bar and the status, and reloads the page (which shows the outcome) once finished.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "yes") return;
  var url = box.dataset.url;
  var status = document.getElementById("job-status");
  var count = document.getElementById("job-count");
  var bar = document.getElementById("job-progress");
  var delay = 1000;

  function show(state) {
    status.textContent = state.status_words;
    status.dataset.status = state.status;
    if (state.total > 0) {
      count.textContent = state.done + " / " + state.total;
      if (bar) {
        bar.max = state.total;
        bar.value = state.done;
      }
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.finished) {
          window.location.reload();
          return;
        }
        delay = 1000;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000); // the server is busy or restarting: back off
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
