// Resource selector: the URL, QR code and Test button follow the choice at once (U2, U4).
(function () {
  document.querySelectorAll(".resource-url").forEach(function (box) {
    var select = box.querySelector(".resource-select");
    var result = box.querySelector(".test-result");
    function show(slug) {
      box.querySelectorAll(".resource-choice").forEach(function (el) { el.hidden = el.dataset.slug !== slug; });
      document.querySelectorAll("input.selected-resource").forEach(function (input) { input.value = slug; });
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
      });
    });
    var form = box.querySelector(".test-form");
    if (form) form.addEventListener("submit", function (event) {
      event.preventDefault();
      result.textContent = "…";
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          result.className = "test-result " + (data.ok ? "ok" : "failed");
          result.textContent = (data.ok ? "✔ " : "✘ ") + data.message + (data.warnings && data.warnings.length ? " ⚠ " + data.warnings.join(" ") : "");
        })
        .catch(function () { result.className = "test-result failed"; result.textContent = "✘"; });
    });
  });
})();
