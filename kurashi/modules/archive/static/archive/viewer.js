// Deep zoom with OpenSeadragon (vendored, static/archive/vendor/openseadragon): this site's IIIF
// Image API level-0 images (data-info: the info.json) and the images of a holder's external IIIF
// Presentation 2 or 3 manifest (data-manifest). OpenSeadragon draws every tile, edge tiles
// included, at its true size. Our own labelled buttons and keys (+ − 0 and the arrows) drive it;
// without JavaScript, or if the viewer cannot start, the fallback image or link stays.
(function () {
  "use strict";
  if (typeof OpenSeadragon === "undefined") { return; }

  function first(value) { return Array.isArray(value) ? value[0] : value; }

  // The image services of a manifest's canvases (v3: items → AnnotationPage → Annotation →
  // body.service; v2: sequences[0].canvases → images → resource.service).
  function imageServices(manifest) {
    var services = [];
    function add(service) {
      service = first(service);
      if (!service) { return; }
      var id = service.id || service["@id"];
      if (id) { services.push(id.replace(/\/$/, "") + "/info.json"); }
    }
    (manifest.items || []).forEach(function (canvas) {
      (canvas.items || []).forEach(function (page) {
        (page.items || []).forEach(function (annotation) {
          var body = first(annotation.body);
          if (body) { add(body.service); }
        });
      });
    });
    var sequence = first(manifest.sequences);
    if (sequence) {
      (sequence.canvases || []).forEach(function (canvas) {
        (canvas.images || []).forEach(function (image) {
          if (image.resource) { add(image.resource.service); }
        });
      });
    }
    return services;
  }

  function controls(element, viewer) {
    var bar = element.parentNode.querySelector(".archive-zoom__controls");
    if (!bar) { return; }
    bar.hidden = false;
    bar.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-zoom]");
      if (!button) { return; }
      var action = button.getAttribute("data-zoom");
      if (action === "in") { viewer.viewport.zoomBy(1.5); }
      if (action === "out") { viewer.viewport.zoomBy(1 / 1.5); }
      if (action === "home") { viewer.viewport.goHome(); }
      if (action === "previous" && viewer.currentPage() > 0) {
        viewer.goToPage(viewer.currentPage() - 1);
      }
      if (action === "next" && viewer.currentPage() < viewer.tileSources.length - 1) {
        viewer.goToPage(viewer.currentPage() + 1);
      }
      viewer.viewport.applyConstraints();
    });
    var pages = bar.querySelectorAll("button[data-zoom=previous], button[data-zoom=next]");
    pages.forEach(function (button) { button.hidden = viewer.tileSources.length < 2; });
  }

  function keys(element, viewer) {
    element.addEventListener("keydown", function (event) {
      var viewport = viewer.viewport;
      var step = 0.1 / viewport.getZoom();
      var moves = {
        ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step]
      };
      if (event.key === "+" || event.key === "=") { viewport.zoomBy(1.5); }
      else if (event.key === "-" || event.key === "−") { viewport.zoomBy(1 / 1.5); }
      else if (event.key === "0") { viewport.goHome(); }
      else if (moves[event.key]) {
        viewport.panBy(new OpenSeadragon.Point(moves[event.key][0], moves[event.key][1]));
      } else { return; }
      viewport.applyConstraints();
      event.preventDefault();
    });
  }

  function open(element, tileSources) {
    if (!tileSources.length) { return; }
    var fallback = element.querySelector(".archive-zoom__fallback");
    element.classList.add("archive-zoom--live");
    var viewer = OpenSeadragon({
      element: element,
      tileSources: tileSources,
      sequenceMode: tileSources.length > 1,
      drawer: "canvas",
      crossOriginPolicy: "Anonymous",
      showNavigationControl: false,
      showSequenceControl: false,
      gestureSettingsMouse: { scrollToZoom: false },
      keyboardNavEnabled: false,
      visibilityRatio: 0.5,
      minZoomImageRatio: 0.5,
      maxZoomPixelRatio: 4,
      animationTime: 0.4
    });
    viewer.addHandler("open", function () {
      if (fallback) { fallback.remove(); }
      element.setAttribute("data-ready", "true");
    });
    viewer.addHandler("open-failed", function () {
      element.classList.remove("archive-zoom--live");
      element.setAttribute("data-ready", "failed");
    });
    element.archiveViewer = viewer;  // for the end-to-end tests
    controls(element, viewer);
    keys(element, viewer);
  }

  function start(element) {
    var info = element.getAttribute("data-info");
    var manifest = element.getAttribute("data-manifest");
    if (info) { open(element, [info]); return; }
    if (!manifest) { return; }
    fetch(manifest, { credentials: "omit" })
      .then(function (response) {
        if (!response.ok) { throw new Error("manifest " + response.status); }
        return response.json();
      })
      .then(function (data) { open(element, imageServices(data)); })
      .catch(function () { element.setAttribute("data-ready", "failed"); });
  }

  document.querySelectorAll(".archive-zoom[data-info], .archive-zoom[data-manifest]").forEach(start);
})();
