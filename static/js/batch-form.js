/* New batch: − / + step the quantity in place; tapping a product opens the meat section for meat and
   fills a blank best-before date from the product's usual shelf life. The form works without this. */
(function () {
  "use strict";
  var form = document.getElementById("batch-form");
  if (!form) { return; }
  var quantity = form.querySelector("#quantity");
  form.querySelectorAll("button[name=adjust]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var current = parseInt(quantity.value, 10);
      var next = (isNaN(current) ? 0 : current) + (button.value === "+1" ? 1 : -1);
      quantity.value = String(Math.max(1, next));
      quantity.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });
  var produced = form.querySelector("#produced_on");
  var best = form.querySelector("#best_before");
  var meat = document.getElementById("meat-section");
  var filled = "";
  function chosen(radio) {
    if (meat) { meat.open = radio.dataset.meat === "true"; }
    var days = parseInt(radio.dataset.shelfDays, 10);
    if (!best || !produced || !produced.value || isNaN(days)) { return; }
    if (best.value && best.value !== filled) { return; }  /* never overwrite a date typed by hand */
    var date = new Date(produced.value + "T00:00:00Z");
    date.setUTCDate(date.getUTCDate() + days);
    best.value = filled = date.toISOString().slice(0, 10);
  }
  form.querySelectorAll("input[name=product_id]").forEach(function (radio) {
    radio.addEventListener("change", function () { chosen(radio); });
  });
})();
