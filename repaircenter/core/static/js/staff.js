// A form's submit button is disabled once pressed, so a double click sends one request.
// (The server also refuses to act twice: this only spares the second round trip.)
document.addEventListener("submit", function (event) {
  var form = event.target;
  // Forms that end something (refusal, disposal, a voided code) ask first; so does a button
  // that ends something in a form whose other buttons do not.
  var question = (event.submitter && event.submitter.dataset.confirm) || form.dataset.confirm;
  if (question && form.dataset.submitted !== "yes" && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (form.dataset.submitted === "yes") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "yes";
  form.querySelectorAll("button[type=submit]").forEach(function (button) {
    button.setAttribute("aria-busy", "true");
  });
});
// Back/forward cache: a page shown again must accept a new submit.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submitted]").forEach(function (form) {
    delete form.dataset.submitted;
  });
});

// The stress test form: choosing a procedure fills in its text and duration, to edit for this run.
document.querySelectorAll("form[data-procedures] select[name=template]").forEach(function (select) {
  select.addEventListener("change", function () {
    var option = select.selectedOptions[0];
    var form = select.form;
    if (!option || !option.dataset.procedure) return;
    form.elements.procedure.value = option.dataset.procedure;
    form.elements.duration_minutes.value = option.dataset.minutes;
  });
});

// Issuance: a USB scanner types the pickup code and Enter into the focused field, which submits
// the form by itself. On a tablet whose browser can read barcodes (BarcodeDetector), the camera
// reads the Code 128 barcode on the customer's copy instead; elsewhere the code is typed.
document.querySelectorAll("[data-camera-scan]").forEach(function (box) {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  box.hidden = false;
  var form = box.closest("form");
  var input = form.querySelector("[data-pickup-code]");
  var video = box.querySelector("video");
  var status = box.querySelector("[data-camera-status]");
  box.querySelector("[data-camera-start]").addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["code_128", "qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      status.textContent = box.dataset.looking || "";
      var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
      var look = function () {
        detector.detect(video).then(function (codes) {
          var code = codes.find(function (c) { return /^[A-Z0-9]{10}$/.test(c.rawValue); });
          if (code) { stop(); input.value = code.rawValue; form.requestSubmit(); }
          else { window.setTimeout(look, 250); }
        }).catch(function () { window.setTimeout(look, 500); });
      };
      look();
    }).catch(function () { status.textContent = box.dataset.denied || ""; });
  });
});
