// The live chat, on the public site, on an order's page and in the consultants' inbox.
// Every CHAT_POLL_SECONDS the page asks the server for the messages after the last one it
// shows; a message is sent with fetch() and the answer brings what is new. Without this
// script the form still posts and the page comes back with the message in it.
(function () {
  "use strict";

  function start(box) {
    var log = box.querySelector("[data-chat-log]");
    var form = box.querySelector("form[data-chat-send]");
    var status = box.querySelector("[data-chat-status]");
    var error = box.querySelector("[data-chat-error]");
    var pollUrl = box.dataset.pollUrl;
    var every = (parseInt(box.dataset.pollSeconds, 10) || 2) * 1000;
    var polling = false;
    var sending = false;

    function lastId() {
      var items = log.querySelectorAll("[data-id]");
      return items.length ? parseInt(items[items.length - 1].dataset.id, 10) : 0;
    }

    function show(data) {
      if (data.messages) {
        var holder = document.createElement("template");
        holder.innerHTML = data.messages; // rendered and escaped by the server
        var last = lastId();
        var added = false;
        holder.content.querySelectorAll("[data-id]").forEach(function (item) {
          var id = parseInt(item.dataset.id, 10);
          if (id > last) {
            log.appendChild(item);
            last = id;
            added = true;
          }
        });
        if (added) {
          log.scrollTop = log.scrollHeight;
          var empty = box.querySelector("[data-chat-empty]");
          if (empty) { empty.remove(); }
        }
      }
      // The notice about who answers changes only with the state, so that a form in it is
      // not reset under the visitor's fingers.
      if (status && data.state && data.state !== box.dataset.state) {
        status.innerHTML = data.status;
        box.dataset.state = data.state;
      }
    }

    function poll() {
      if (polling || document.hidden) { return; }
      polling = true;
      var state = box.dataset.state ? "&state=" + encodeURIComponent(box.dataset.state) : "";
      fetch(pollUrl + "?after=" + lastId() + state, {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (data) {
        if (data) { show(data); }
      }).catch(function () {
        // Offline for a moment: the next round tries again.
      }).finally(function () {
        polling = false;
      });
    }

    if (form) {
      var body = form.querySelector("textarea");
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (sending) { return; }
        sending = true;
        var data = new FormData(form);
        data.set("after", lastId());
        var button = form.querySelector("button[type=submit]");
        button.setAttribute("aria-busy", "true");
        fetch(form.action, {
          method: "POST", body: data, credentials: "same-origin",
          headers: { "Accept": "application/json", "X-CSRFToken": data.get("csrfmiddlewaretoken") }
        }).then(function (response) {
          return response.json().then(function (answer) { return [response.ok, answer]; });
        }).then(function (result) {
          var answer = result[1];
          show(answer);
          if (error) { error.textContent = answer.error || ""; }
          if (result[0]) {
            body.value = "";
            form.querySelector("input[name=key]").value = answer.key;
          }
        }).catch(function () {
          if (error) { error.textContent = box.dataset.offlineText || ""; }
        }).finally(function () {
          sending = false;
          button.removeAttribute("aria-busy");
          body.focus();
        });
      });
      // Enter sends; Shift+Enter starts a new line.
      body.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
    }

    log.scrollTop = log.scrollHeight;
    setInterval(poll, every);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { poll(); }
    });
  }

  document.querySelectorAll("[data-chat]").forEach(start);
})();
