// The set-up page: copy buttons with "Kopiert" feedback, "Verbindung testen" without reload (U5).
(function () {
  var copiedText = document.documentElement.lang === "en" ? "Copied" : "Kopiert";
  function copyValue(input, button) {
    input.select();
    function done() {
      if (!button.dataset.label) button.dataset.label = button.textContent;
      button.textContent = "✔ " + copiedText;
      button.classList.add("copied");
      setTimeout(function () { button.textContent = button.dataset.label; button.classList.remove("copied"); }, 2000);
    }
    if (navigator.clipboard) { navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); }); }
    else { document.execCommand("copy"); done(); }
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () { copyValue(document.getElementById(button.dataset.copy), button); });
  });
  function line(cls, text) { var s = document.createElement("span"); s.className = cls; s.textContent = text; return s; }
  document.querySelectorAll(".setup-test-form").forEach(function (form) {
    var result = form.querySelector(".test-result");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      result.textContent = "…";
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          result.textContent = "";
          result.className = "test-result " + (data.ok ? "ok" : "failed");
          result.appendChild(line(data.ok ? "test-ok" : "test-error", (data.ok ? "✔ " : "✘ ") + data.message));
          (data.warnings || []).forEach(function (w) { result.appendChild(line("test-warning", "⚠ " + w)); });
        })
        .catch(function () { result.className = "test-result failed"; result.textContent = ""; result.appendChild(line("test-error", "✘")); });
    });
  });
})();
