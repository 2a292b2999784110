// Photos made small on the phone before the outbox stores them: a 12-megapixel camera photo
// becomes a JPEG of at most 1600 px on its longer edge (a few hundred KB instead of several
// MB), which matters on a slow connection and in the phone's storage. The picture is turned
// upright from its EXIF orientation by the browser's decoder, and the new JPEG carries no
// metadata at all (no camera location). The server still checks every photo.
// No dependencies; `window.fieldPhotos` for the outbox and the tests.
(function () {
  "use strict";

  var MAX_EDGE = 1600;
  var QUALITY = 0.85;

  function canvasOf(width, height) {
    if (typeof OffscreenCanvas !== "undefined") { return new OffscreenCanvas(width, height); }
    var canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    return canvas;
  }

  function jpeg(canvas) {
    if (canvas.convertToBlob) {
      return canvas.convertToBlob({ type: "image/jpeg", quality: QUALITY });
    }
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) {
        if (blob) { resolve(blob); } else { reject(new Error("the photo could not be encoded")); }
      }, "image/jpeg", QUALITY);
    });
  }

  // A JPEG Blob of the photo, upright, at most `maxEdge` px on its longer edge (never
  // enlarged), without metadata. Rejects when the browser cannot decode the file.
  function resizePhoto(file, maxEdge) {
    var edge = maxEdge || MAX_EDGE;
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height));
      var width = Math.max(1, Math.round(bitmap.width * scale));
      var height = Math.max(1, Math.round(bitmap.height * scale));
      var canvas = canvasOf(width, height);
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // a transparent PNG on white, not on black
      context.fillRect(0, 0, width, height);
      context.imageSmoothingEnabled = true;
      context.imageSmoothingQuality = "high";
      context.drawImage(bitmap, 0, 0, width, height);
      bitmap.close();
      return jpeg(canvas);
    });
  }

  // What the outbox stores for a chosen photo: the small JPEG as a File, or the original
  // when the field keeps the photo's location (the server then strips all but it) or when
  // this browser cannot decode the file (the server decides what it is).
  function preparePhoto(file, options) {
    var settings = options || {};
    if (settings.keepMetadata) { return Promise.resolve(file); }
    return resizePhoto(file, settings.maxEdge).then(function (blob) {
      var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
      return new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified });
    }, function () {
      return file;
    });
  }

  window.fieldPhotos = { resizePhoto: resizePhoto, preparePhoto: preparePhoto, MAX_EDGE: MAX_EDGE };
})();
