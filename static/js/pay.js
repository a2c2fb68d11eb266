// The payment page's Stripe Payment Element (card, Alipay, WeChat Pay).
// Stripe.js is loaded from Stripe just before this file; card details stay inside Stripe's frame.
// Whatever happens here, our server trusts only the PaymentIntent's state it reads from Stripe afterwards.
(function () {
  "use strict";
  var form = document.getElementById("stripe-pay");
  if (!form || typeof window.Stripe !== "function") {
    return;
  }
  var message = document.getElementById("payment-message");
  var button = form.querySelector("button[type=submit]");
  var stripe = window.Stripe(form.dataset.publishableKey, { locale: form.dataset.locale || "zh" });
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  var element = elements.create("payment", { layout: "tabs" });
  element.mount("#payment-element");
  element.on("ready", function () {
    button.disabled = false;
  });

  function show(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    show("");
    stripe
      .confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
      .then(function (result) {
        // Only reached when Stripe could not redirect: the error is for the buyer to fix and retry.
        if (result.error) {
          show(result.error.message);
          button.disabled = false;
        }
      });
  });
})();
