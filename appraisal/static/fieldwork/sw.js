// The field app's service worker, served as /field/sw.js with the scope /field (Today
// itself and every page below it). It keeps the field pages the employee opened and the
// static files they use, network first: online, pages are always fresh (and the copy is
// refreshed); offline, the last copy is shown. Records are never sent from here: the
// outbox (outbox.js, IndexedDB) does that from the page, so nothing is sent twice.
"use strict";

var CACHE = "field-shell-v1";

function cacheable(request) {
  if (request.method !== "GET") {
    return false;
  }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return false;
  }
  var path = url.pathname;
  if (path.indexOf("/static/") === 0 || path.indexOf("/bootstrap/static/") === 0) {
    return true;
  }
  // field pages; not the worker itself, photos (large, personal) or the sync endpoint
  return (
    (path === "/field" || path.indexOf("/field/") === 0) &&
    path !== "/field/sw.js" &&
    path.indexOf("/field/photos") !== 0 &&
    path !== "/field/sync"
  );
}

function signedOut(response) {
  return response.redirected && new URL(response.url).pathname.indexOf("/login") === 0;
}

// A download (an export of the team's records, say) is never kept: only pages and the
// static files they use; a file saved by the user is theirs to keep, not the worker's.
function download(request, response) {
  var type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
  var attachment = /^\s*attachment/i.test(response.headers.get("Content-Disposition") || "");
  var path = new URL(request.url).pathname;
  var asset = path.indexOf("/static/") === 0 || path.indexOf("/bootstrap/static/") === 0;
  return attachment || (!asset && type !== "text/html");
}

function keep(request, response) {
  if (signedOut(response)) {
    // The session ended: the pages kept here were someone's; forget them.
    return caches.delete(CACHE);
  }
  if (
    !response.ok ||
    response.type !== "basic" ||
    response.redirected ||
    download(request, response)
  ) {
    return Promise.resolve();
  }
  return caches.open(CACHE).then(function (cache) {
    return cache.put(request, response);
  });
}

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name.indexOf("field-shell-") === 0 && name !== CACHE;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

// The page that registered the worker was loaded before it: it sends its own address and
// its scripts and styles, so they are there offline too.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.forget) {
    event.waitUntil(caches.delete(CACHE));
    return;
  }
  if (!Array.isArray(data.cache)) {
    return;
  }
  var urls = data.cache.filter(function (url) {
    return cacheable(new Request(url));
  });
  event.waitUntil(
    Promise.all(
      urls.map(function (url) {
        return fetch(url, { credentials: "same-origin" })
          .then(function (response) {
            return keep(new Request(url), response);
          })
          .catch(function () {});
      })
    )
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (!cacheable(request)) {
    return;
  }
  event.respondWith(
    fetch(request)
      .then(function (response) {
        var copy = response.clone();
        event.waitUntil(keep(request, copy));
        return response;
      })
      .catch(function () {
        return caches.match(request).then(function (hit) {
          if (hit) {
            return hit;
          }
          if (request.mode === "navigate") {
            return caches.match("/field").then(function (today) {
              return today || Response.error();
            });
          }
          return Response.error();
        });
      })
  );
});
