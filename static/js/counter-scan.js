// Quick sale at a counter: read the package's QR code in the browser (BarcodeDetector), from the camera or
// from a photo, and put the decoded text into the code field; the photo is then not sent. Without
// BarcodeDetector (or when it finds nothing) the photo chosen goes with the form and the server reads it;
// the lot code or serial may always be typed.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var form = document.querySelector("[data-scan-form]");
    if (!form || !("BarcodeDetector" in window)) { return; }
    var field = form.querySelector("input[name=code]");
    var status = form.querySelector("[data-scan-status]");
    var video = form.querySelector("[data-scan-video]");
    var messages = document.querySelector("[data-scan-messages]").dataset;
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    form.querySelector("[data-scan-camera-tools]").hidden = false;

    function found(codes) {
      if (!codes.length) { return false; }
      field.value = codes[0].rawValue;
      status.textContent = messages.read;
      form.querySelector("input[name=quantity]").focus();
      return true;
    }

    form.querySelector("[data-scan-photo]").addEventListener("change", function (event) {
      var input = event.target;
      var file = input.files && input.files[0];
      if (!file) { return; }
      createImageBitmap(file).then(function (bitmap) { return detector.detect(bitmap); })
        .then(function (codes) {
          if (found(codes)) { input.value = ""; } else { status.textContent = messages.serverReads; }
        })
        .catch(function () { status.textContent = messages.serverReads; });
    });

    form.querySelector("[data-scan-camera]").addEventListener("click", function () {
      if (!navigator.mediaDevices) { status.textContent = messages.noCamera; return; }
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        return video.play().then(function () {
          function stop() { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; }
          function tick() {
            detector.detect(video).then(function (codes) {
              if (found(codes)) { stop(); } else { window.requestAnimationFrame(tick); }
            }).catch(function () { stop(); status.textContent = messages.noCode; });
          }
          tick();
        });
      }).catch(function () { status.textContent = messages.noCamera; });
    });
  });
})();
