// The print button of document pages (no inline scripts, so a strict CSP can forbid them).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
// The customer's link, where staff see it whole (made or replaced): a button copies it.
document.querySelectorAll("[data-copy-link]").forEach(function (button) {
  button.hidden = !navigator.clipboard;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(button.dataset.copyLink).then(function () {
      button.textContent = button.dataset.copied || button.textContent;
    });
  });
});
