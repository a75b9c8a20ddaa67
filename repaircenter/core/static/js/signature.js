// Signature pads: the customer draws with a finger or stylus; the drawing goes to the form as a
// PNG data: URL in the hidden input, which the server checks and stores as evidence.
document.querySelectorAll("[data-signature-pad]").forEach(function (pad) {
  var canvas = pad.querySelector("canvas");
  var input = pad.querySelector("input[name=signature_data]");
  var context = canvas.getContext("2d");
  var drawing = false;
  context.lineWidth = 2.5;
  context.lineCap = "round";
  context.strokeStyle = "#111";

  function point(event) {
    var box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * (canvas.width / box.width),
      y: (event.clientY - box.top) * (canvas.height / box.height),
    };
  }
  canvas.addEventListener("pointerdown", function (event) {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    var p = point(event);
    context.beginPath();
    context.moveTo(p.x, p.y);
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) return;
    var p = point(event);
    context.lineTo(p.x, p.y);
    context.stroke();
    event.preventDefault();
  });
  function finish() {
    if (!drawing) return;
    drawing = false;
    input.value = canvas.toDataURL("image/png");
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  pad.querySelector("[data-clear]").addEventListener("click", function () {
    context.clearRect(0, 0, canvas.width, canvas.height);
    input.value = "";
  });
});
