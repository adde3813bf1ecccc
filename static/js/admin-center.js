// The admin center's behaviour. Loaded as a file: the CSP forbids inline scripts.
// Every feature enhances markup that already works without JavaScript.
"use strict";

(function () {
  // Dates are rendered in the admin's time zone: tell the server which one the browser uses.
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
      document.cookie = "admincenter_tz=" + encodeURIComponent(zone) + "; path=/; SameSite=Lax";
    }
  } catch (error) {
    // Without the Intl API dates stay in the server's time zone.
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    const status = document.getElementById("copy-status");
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      if (status) status.textContent = "Copied to clipboard.";
    });
  });
})();
