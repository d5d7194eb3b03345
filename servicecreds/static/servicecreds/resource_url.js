// Resource selector: the URL, QR code and Test button follow the choice at once (U2, U4).
(function () {
  document.querySelectorAll(".resource-url").forEach(function (box) {
    var select = box.querySelector(".resource-select");
    var result = box.querySelector(".test-result");
    function show(slug) {
      box.querySelectorAll(".resource-choice").forEach(function (el) { el.hidden = el.dataset.slug !== slug; });
      var scope = box.closest("[data-resource-scope]") || document;  // one card of "Mein Konto", or the admin page
      scope.querySelectorAll("input.selected-resource").forEach(function (input) { input.value = slug; });
      if (result) { result.textContent = ""; result.className = "test-result"; }
    }
    if (select) select.addEventListener("change", function () { show(select.value); });
    box.querySelectorAll(".copy-url").forEach(function (button) {
      button.addEventListener("click", function () {
        var input = button.parentNode.querySelector(".caldav-url");
        input.select();
        if (navigator.clipboard) { navigator.clipboard.writeText(input.value).catch(function () { document.execCommand("copy"); }); }
        else { document.execCommand("copy"); }
        button.classList.add("copied");
        if (!button.dataset.label) button.dataset.label = button.textContent;
        button.textContent = "✔ " + (button.dataset.copied || "Kopiert");
        setTimeout(function () { button.textContent = button.dataset.label; }, 2000);
      });
    });
    function line(cls, text) { var s = document.createElement("span"); s.className = cls; s.textContent = text; return s; }
    var form = box.querySelector(".test-form");
    if (form) form.addEventListener("submit", function (event) {
      event.preventDefault();
      result.textContent = "…";
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          // success green, errors red, warnings amber (classes in the page's CSS)
          result.className = "test-result " + (data.ok ? "ok" : "failed");
          result.textContent = "";
          result.appendChild(line(data.ok ? "test-ok" : "test-error", (data.ok ? "✔ " : "✘ ") + data.message));
          (data.warnings || []).forEach(function (w) { result.appendChild(line("test-warning", " ⚠ " + w)); });
        })
        .catch(function () { result.className = "test-result failed"; result.textContent = "✘"; });
    });
  });
})();
