// SAML's HTTP-POST binding: sends the signed response on to the application at once.
// Loaded as a file (the CSP forbids inline scripts); without JavaScript the page's Continue button does it.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const form = document.querySelector("form[data-saml-auto-submit]");
  if (form) form.submit();
});
