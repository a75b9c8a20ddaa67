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
// A "tick all" box ticks or clears every enabled box of its list.
document.addEventListener("change", function (event) {
  var all = event.target.closest("[data-check-all]");
  if (!all) return;
  var form = all.closest("form");
  form.querySelectorAll('input[type=checkbox][name="' + all.dataset.checkAll + '"]:not(:disabled)')
    .forEach(function (box) { box.checked = all.checked; });
});
