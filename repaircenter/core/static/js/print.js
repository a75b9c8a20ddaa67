// The print button of document pages (no inline scripts, so a strict CSP can forbid them).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
