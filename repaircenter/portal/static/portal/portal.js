// A form's submit button is disabled once pressed, so a double tap sends one request (the
// server also refuses to act twice: this spares the second round trip). The live chat sends
// its own way (consult/chat.js).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.hasAttribute("data-chat-send") || event.defaultPrevented) {
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
