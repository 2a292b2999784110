// The field app's outbox. A record form (`form[data-outbox]`) is not posted: the record is
// built from its fields (uuid made here, the time with its offset, values by field, photos
// as Blobs), kept in IndexedDB and shown at once as "waiting to send"; it is sent when
// there is a connection (photos first to the photo endpoint, then the record as JSON) and
// removed only when the server answers 200 or 201. A 422 keeps it as "needs correcting"
// with the messages; anything else is retried later, waiting longer each time. Each record
// carries its employee, so a phone shared by two people never sends one's records as the
// other's. Without JavaScript the form posts normally. Also registers the service worker.
(function () {
  "use strict";

  var app = document.getElementById("field-app");
  if (!app) {
    return;
  }
  var DB_NAME = "appraisal-field";
  var STORE = "outbox";
  var employee = app.getAttribute("data-employee") || "";
  var text = function (name) {
    return app.getAttribute("data-text-" + name) || "";
  };
  var MAX_DELAY = 5 * 60 * 1000;
  var sending = false;
  var timer = null;
  var failures = 0;

  // -- IndexedDB -----------------------------------------------------------------------------

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "uuid" });
        store.createIndex("employee", "employee");
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () {
          db.close();
          resolve(result && "result" in result ? result.result : result);
        };
        tx.onerror = tx.onabort = function () {
          db.close();
          reject(tx.error);
        };
      });
    });
  }

  function mine() {
    return run("readonly", function (store) {
      return store.index("employee").getAll(employee);
    }).then(function (items) {
      return (items || []).sort(function (a, b) {
        return a.created - b.created;
      });
    });
  }

  function put(item) {
    return run("readwrite", function (store) {
      store.put(item);
    });
  }

  function remove(uuid) {
    return run("readwrite", function (store) {
      store.delete(uuid);
    });
  }

  // -- building a record from the form ---------------------------------------------------------

  function uuid4() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    // plain-HTTP intranets have no randomUUID; getRandomValues is there
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map
      .call(bytes, function (b) {
        return (b + 0x100).toString(16).slice(1);
      })
      .join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join(
      "-"
    );
  }

  function withOffset(date) {
    var pad = function (n) {
      return (n < 10 ? "0" : "") + n;
    };
    var minutes = -date.getTimezoneOffset();
    var sign = minutes >= 0 ? "+" : "-";
    minutes = Math.abs(minutes);
    return (
      date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
      sign + pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60)
    );
  }

  function labelOf(wrapper) {
    var label = wrapper.querySelector("label.form-label, legend, .form-label");
    return label ? label.textContent.replace("*", "").trim() : wrapper.getAttribute("data-field");
  }

  function isHidden(wrapper) {
    return wrapper.hidden || !!wrapper.closest("[hidden]");
  }

  /** The record as the sync endpoint reads it, with its photos and what the list shows. */
  function build(form) {
    var record = {
      uuid: uuid4(),
      employee: employee,
      type: form.getAttribute("data-type"),
      occurred_at: withOffset(new Date()),
      values: {},
      photos: [],
      labels: {},
      name: (document.querySelector("h1") || {}).textContent || "",
      status: "waiting",
      errors: {},
      tries: 0,
      created: Date.now(),
    };
    form.querySelectorAll("[data-field]").forEach(function (wrapper) {
      var key = wrapper.getAttribute("data-field");
      var type = wrapper.getAttribute("data-type");
      record.labels[key] = labelOf(wrapper);
      if (isHidden(wrapper)) {
        return; // hidden by its condition: the server drops it anyway
      }
      var value = read(wrapper, key, type, record);
      if (value !== undefined && value !== "" && !(Array.isArray(value) && !value.length)) {
        record.values[key] = value;
      }
    });
    return record;
  }

  function read(wrapper, key, type, record) {
    var named = wrapper.querySelectorAll('[name="' + key + '"]');
    if (type === "photos") {
      var files = named[0] && named[0].files ? Array.prototype.slice.call(named[0].files) : [];
      return files.map(function (file) {
        var id = uuid4();
        record.photos.push({
          uuid: id,
          field: key,
          blob: file,
          name: file.name,
          keep: named[0].hasAttribute("data-keep-location"),
          sent: false,
        });
        return id;
      });
    }
    if (type === "location") {
      if (!named[0] || !named[0].value) {
        return undefined;
      }
      try {
        return JSON.parse(named[0].value);
      } catch (e) {
        return undefined;
      }
    }
    if (type === "multi_choice") {
      return Array.prototype.filter
        .call(named, function (input) {
          return input.checked;
        })
        .map(function (input) {
          return input.value;
        });
    }
    if (named.length && (named[0].type === "radio" || named[0].type === "checkbox")) {
      var checked = Array.prototype.find.call(named, function (input) {
        return input.checked;
      });
      return checked ? checked.value : undefined;
    }
    return named[0] ? withoutControls(named[0].value) : undefined;
  }

  // Control characters (a paste can bring them) are refused by the server's boundary with
  // a 400 the outbox would take for a stale token and retry for ever; nobody meant them.
  // Tab and line breaks stay (inputs.bad_text allows them too).
  function withoutControls(value) {
    return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, "");
  }

  // -- sending ---------------------------------------------------------------------------------

  function csrf() {
    return app.getAttribute("data-csrf") || "";
  }

  /** A fresh token from Today (a page kept by the service worker may hold an old one). */
  function refreshToken() {
    return fetch(app.getAttribute("data-today-url"), { credentials: "same-origin" })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("field-app");
        if (fresh && fresh.getAttribute("data-csrf")) {
          app.setAttribute("data-csrf", fresh.getAttribute("data-csrf"));
        }
      });
  }

  function answer(response) {
    if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
      return { kind: "signin" };
    }
    if (response.status === 200 || response.status === 201) {
      return { kind: "ok" };
    }
    if (response.status === 413) {
      return { kind: "refused", errors: null };
    }
    if (response.status === 422) {
      return response
        .json()
        .then(function (body) {
          return { kind: "refused", errors: (body && body.errors) || {} };
        })
        .catch(function () {
          return { kind: "refused", errors: {} };
        });
    }
    if (response.status === 400) {
      return { kind: "token" };
    }
    return { kind: "retry" };
  }

  function post(url, body, json) {
    var headers = { "X-CSRFToken": csrf() };
    if (json) {
      headers["Content-Type"] = "application/json";
    }
    return fetch(url, {
      method: "POST",
      body: body,
      headers: headers,
      credentials: "same-origin",
      redirect: "manual",
    }).then(answer);
  }

  // The photo as sent: made small on the phone by photos.js (which also drops its
  // metadata), unless its field keeps the location; the server checks it either way.
  function prepare(photo) {
    var photos = window.fieldPhotos;
    if (!photos) {
      return Promise.resolve(photo.blob);
    }
    return photos.preparePhoto(photo.blob, { keepMetadata: !!photo.keep });
  }

  function sendPhotos(item) {
    var chain = Promise.resolve({ kind: "ok" });
    item.photos.forEach(function (photo) {
      chain = chain.then(function (last) {
        if (last.kind !== "ok" || photo.sent) {
          return last;
        }
        return prepare(photo).then(function (blob) {
          var data = new FormData();
          data.append("uuid", photo.uuid);
          data.append("photo", blob, photo.name || photo.uuid + ".jpg");
          data.append("type", item.type);
          data.append("field", photo.field);
          return post(app.getAttribute("data-photo-url"), data, false).then(function (result) {
            if (result.kind === "ok") {
              photo.sent = true;
            } else if (result.kind === "refused") {
              var errors = result.errors || {};
              result.errors = {};
              result.errors[photo.field] = errors.photo || errors[photo.field] || text("photo");
            }
            return result;
          });
        });
      });
    });
    return chain;
  }

  function sendOne(item) {
    return sendPhotos(item).then(function (result) {
      if (result.kind !== "ok") {
        return result;
      }
      var body = JSON.stringify({
        uuid: item.uuid,
        type: item.type,
        occurred_at: item.occurred_at,
        values: item.values,
      });
      return post(app.getAttribute("data-sync-url"), body, true);
    });
  }

  function settle(item, result) {
    if (result.kind === "ok") {
      return remove(item.uuid);
    }
    if (result.kind === "refused") {
      item.status = "correcting";
      item.errors = result.errors || {};
      return put(item);
    }
    item.tries += 1;
    return put(item);
  }

  /** Send everything waiting; true when nothing is left to retry. */
  function flush() {
    if (sending || !employee) {
      return Promise.resolve(false);
    }
    sending = true;
    var note = "";
    var retry = false;
    return mine()
      .then(function (items) {
        var chain = Promise.resolve();
        items
          .filter(function (item) {
            return item.status === "waiting";
          })
          .forEach(function (item) {
            chain = chain.then(function () {
              if (retry) {
                return;
              }
              return sendOne(item)
                .catch(function () {
                  return { kind: "retry" };
                })
                .then(function (result) {
                  if (result.kind === "signin") {
                    note = text("signin");
                  }
                  if (result.kind === "token") {
                    return refreshToken().catch(function () {}).then(function () {
                      retry = true;
                      return settle(item, result);
                    });
                  }
                  if (result.kind !== "ok" && result.kind !== "refused") {
                    retry = true;
                  }
                  return settle(item, result);
                });
            });
          });
        return chain;
      })
      .catch(function () {
        retry = true;
      })
      .then(function () {
        sending = false;
        failures = retry ? failures + 1 : 0;
        if (retry) {
          later();
        }
        return show(note).then(function () {
          return !retry;
        });
      });
  }

  function later() {
    clearTimeout(timer);
    var delay = Math.min(MAX_DELAY, 2000 * Math.pow(2, Math.min(failures, 10)));
    timer = setTimeout(flush, delay * (0.75 + Math.random() / 2));
  }

  // -- what the page shows ---------------------------------------------------------------------

  function show(note) {
    var status = document.getElementById("outbox-status");
    var list = document.getElementById("outbox-list");
    if (!status || !list) {
      return Promise.resolve();
    }
    return mine().then(function (items) {
      var waiting = items.filter(function (i) {
        return i.status === "waiting";
      });
      var correcting = items.filter(function (i) {
        return i.status === "correcting";
      });
      var count = document.getElementById("outbox-count");
      count.setAttribute("data-count", waiting.length);
      count.textContent = waiting.length ? text("waiting").replace("{n}", waiting.length) : "";
      var wrong = document.getElementById("outbox-correcting");
      wrong.setAttribute("data-count", correcting.length);
      wrong.textContent = correcting.length
        ? text("correcting").replace("{n}", correcting.length)
        : "";
      document.getElementById("outbox-note").textContent =
        note || (!navigator.onLine && items.length ? text("offline") : "");
      status.hidden = !items.length;
      list.hidden = !items.length;
      list.replaceChildren.apply(list, items.map(row));
    });
  }

  function row(item) {
    var li = document.createElement("li");
    li.className = "list-group-item";
    li.setAttribute("data-outbox-item", item.uuid);
    li.setAttribute("data-status", item.status);
    var head = document.createElement("div");
    head.className = "d-flex justify-content-between gap-2";
    var name = document.createElement("span");
    name.textContent = item.name + " · " + item.occurred_at.slice(11, 16);
    var badge = document.createElement("span");
    badge.className = "badge " + (item.status === "correcting" ? "text-bg-danger" : "text-bg-warning");
    badge.textContent = item.status === "correcting" ? text("needs") : text("waiting-one");
    head.append(name, badge);
    li.append(head);
    Object.keys(item.errors || {}).forEach(function (key) {
      var line = document.createElement("div");
      line.className = "small text-danger";
      line.setAttribute("data-error-for", key);
      line.textContent = (item.labels[key] || key) + ": " + item.errors[key];
      li.append(line);
    });
    if (item.status === "correcting") {
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "btn btn-sm btn-outline-danger mt-1";
      discard.textContent = text("discard");
      discard.addEventListener("click", function () {
        if (window.confirm(text("discard-confirm"))) {
          remove(item.uuid).then(function () {
            show();
          });
        }
      });
      li.append(discard);
    }
    return li;
  }

  // -- wiring ----------------------------------------------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-outbox]") || !window.indexedDB) {
      return;
    }
    event.preventDefault();
    var item = build(form);
    var button = form.querySelector('[type="submit"]');
    if (button) {
      button.disabled = true;
    }
    put(item)
      .then(function () {
        form.reset();
        form.dispatchEvent(new Event("outbox:kept"));
        return show(text("saved"));
      })
      .then(function () {
        window.scrollTo(0, 0);
        return navigator.onLine ? flush() : false;
      })
      .then(function () {
        return mine();
      })
      .then(function (items) {
        var left = items.some(function (i) {
          return i.uuid === item.uuid;
        });
        if (!left) {
          window.location.assign(app.getAttribute("data-today-url"));
        }
      })
      .catch(function () {
        form.submit(); // no IndexedDB after all (private mode): post the form
      })
      .then(function () {
        if (button) {
          button.disabled = false;
        }
      });
  });

  // Signing out forgets the pages kept for offline use (they are this person's).
  document.addEventListener("submit", function (event) {
    var action = event.target.getAttribute && event.target.getAttribute("action");
    if (action && /\/logout$/.test(action) && navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ forget: true });
    }
  });

  window.addEventListener("online", function () {
    failures = 0;
    flush();
  });
  window.addEventListener("offline", function () {
    show();
  });

  function register() {
    if (!("serviceWorker" in navigator)) {
      return;
    }
    navigator.serviceWorker
      .register(app.getAttribute("data-sw-url"), { scope: app.getAttribute("data-sw-scope") })
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(function (registration) {
        var assets = [window.location.href];
        document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=manifest], link[rel=icon]")
          .forEach(function (el) {
            assets.push(el.src || el.href);
          });
        registration.active.postMessage({ cache: assets });
      })
      .catch(function () {});
  }

  window.fieldOutbox = window.fieldOutbox || {};
  window.fieldOutbox.flush = flush;
  window.fieldOutbox.show = show;
  window.fieldOutbox.build = build;

  if (window.indexedDB && employee) {
    show().then(function () {
      if (navigator.onLine) {
        flush();
      }
    });
  }
  register();
})();
