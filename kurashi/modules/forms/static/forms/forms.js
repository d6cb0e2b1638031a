// Online forms: same-page conditions, postal-code lookup, focus on the error summary, keep
// answers when switching language from the header. Everything works without this script too.
(function () {
  "use strict";
  var form = document.getElementById("fill-form");
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  if (!form) { return; }

  function valueOf(key) {
    var inputs = form.querySelectorAll('[name="' + key + '"]');
    var values = [];
    inputs.forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox")) {
        if (input.checked) { values.push(input.value); }
      } else if (input.value) { values.push(input.value); }
    });
    return values;
  }

  function holds(condition) {
    var parts = condition.split("|");
    var values = valueOf(parts[0]);
    switch (parts[1]) {
      case "is_filled": return values.length > 0;
      case "is_empty": return values.length === 0;
      case "includes": return values.indexOf(parts[2]) !== -1;
      case "not_equals": return values[0] !== parts[2];
      default: return values[0] === parts[2];
    }
  }

  function update() {
    form.querySelectorAll("[data-show-if]").forEach(function (field) {
      var show = field.getAttribute("data-show-if").split(";").every(holds);
      field.hidden = !show;
    });
  }
  form.addEventListener("change", update);
  update();

  form.querySelectorAll("input.postal").forEach(function (input) {
    var target = document.getElementById(input.getAttribute("data-address-target"));
    var status = input.parentNode.querySelector(".postal-status");
    var button = input.parentNode.querySelector(".postal-lookup");
    function lookup(event) {
      var code = input.value.replace(/[^0-9０-９]/g, "");
      if (code.length !== 7) { return; }
      if (event) { event.preventDefault(); }
      fetch(form.getAttribute("data-postal-url") || ("/forms/postal/" + encodeURIComponent(code) + "/"))
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (data.addresses && data.addresses.length && target) {
            target.value = data.addresses[0];
            status.textContent = data.addresses.length > 1 ? data.addresses.join(" / ") : data.addresses[0];
          } else if (status) {
            status.textContent = document.documentElement.lang === "en" ? "No address found for this postal code." : "この郵便番号の住所は見つかりませんでした。";
          }
        })
        .catch(function () {});
    }
    input.addEventListener("change", function () { lookup(null); });
    if (button) { button.addEventListener("click", lookup); }
  });

  // The header's language links would leave the page without saving: save first.
  document.querySelectorAll(".language-switch a[hreflang]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var keep = form.querySelector('button[value="switch_language"]');
      if (!keep) { return; }
      event.preventDefault();
      keep.click();
    });
  });
})();
