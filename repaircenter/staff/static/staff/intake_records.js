// The intake form's condition checklist: only the chosen kind's list is shown (without this
// script every list shows, and only the chosen kind's answers are read). The pattern grid
// writes the points tapped into the passcode field.
(function () {
  var kind = document.querySelector("select[name=kind]");
  var lists = document.querySelectorAll("[data-checklist-kind]");
  function showChosen() {
    lists.forEach(function (list) {
      var shown = kind && list.getAttribute("data-checklist-kind") === kind.value;
      list.hidden = !shown;
      list.querySelectorAll("input").forEach(function (input) { input.disabled = !shown; });
    });
  }
  if (kind) {
    kind.addEventListener("change", showChosen);
    showChosen();
  }

  var grid = document.querySelector("[data-pattern-grid]");
  var passcodeKind = document.querySelector("select[name=passcode_kind]");
  var passcode = document.querySelector("input[name=passcode]");
  if (!grid || !passcodeKind || !passcode) return;
  function showGrid() {
    grid.hidden = passcodeKind.value !== "pattern";
  }
  passcodeKind.addEventListener("change", showGrid);
  showGrid();
  grid.querySelectorAll("[data-point]").forEach(function (button) {
    button.addEventListener("click", function () {
      var point = button.getAttribute("data-point");
      if (passcode.value.indexOf(point) !== -1) return; // each point once
      passcode.value += point;
      button.classList.remove("outline");
    });
  });
  grid.querySelector("[data-pattern-clear]").addEventListener("click", function () {
    passcode.value = "";
    grid.querySelectorAll("[data-point]").forEach(function (b) { b.classList.add("outline"); });
  });
})();
