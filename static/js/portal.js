// Behaviour shared by every page. Loaded as a file: the CSP forbids inline scripts.
// Every feature here enhances markup that already works without JavaScript.
"use strict";

(function () {
  const VIEW_KEY = "accessportal.myApps.view";

  function announce(text) {
    const status = document.getElementById("copy-status");
    if (!status) return;
    // Clearing first makes screen readers repeat the same message on a second copy.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
    window.clearTimeout(announce.timer);
    announce.timer = window.setTimeout(function () { status.textContent = ""; }, 4000);
  }

  // "…" menus: a button with aria-haspopup="menu" and a role="menu" list (WAI-ARIA menu button pattern).
  function menuItems(menu) {
    return Array.from(menu.querySelectorAll('[role="menuitem"]'));
  }

  function closeMenu(button, returnFocus) {
    const menu = document.getElementById(button.getAttribute("aria-controls"));
    if (!menu || menu.hidden) return;
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (returnFocus) button.focus();
  }

  function closeAllMenus(except) {
    document.querySelectorAll('[aria-haspopup="menu"][aria-expanded="true"]').forEach(function (button) {
      if (button !== except) closeMenu(button, false);
    });
  }

  function openMenu(button, focusLast) {
    const menu = document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) return;
    closeAllMenus(button);
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    const items = menuItems(menu);
    if (items.length) (focusLast ? items[items.length - 1] : items[0]).focus();
  }

  function buttonOf(menu) {
    return document.querySelector('[aria-controls="' + menu.id + '"]');
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest('[aria-haspopup="menu"]');
    if (button) {
      if (button.getAttribute("aria-expanded") === "true") closeMenu(button, true);
      else openMenu(button, false);
      return;
    }
    const copy = event.target.closest("[data-copy-link]");
    if (copy) {
      copyLink(copy.getAttribute("data-copy-link"));
      const menu = copy.closest('[role="menu"]');
      if (menu) closeMenu(buttonOf(menu), true);
      return;
    }
    if (!event.target.closest('[role="menu"]')) closeAllMenus(null);
  });

  document.addEventListener("keydown", function (event) {
    const button = event.target.closest('[aria-haspopup="menu"]');
    if (button && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      openMenu(button, event.key === "ArrowUp");
      return;
    }
    const menu = event.target.closest('[role="menu"]');
    if (!menu) return;
    const items = menuItems(menu);
    const index = items.indexOf(event.target);
    let next = null;
    switch (event.key) {
      case "ArrowDown": next = items[(index + 1) % items.length]; break;
      case "ArrowUp": next = items[(index - 1 + items.length) % items.length]; break;
      case "Home": next = items[0]; break;
      case "End": next = items[items.length - 1]; break;
      case "Escape": event.preventDefault(); closeMenu(buttonOf(menu), true); return;
      case "Tab": closeMenu(buttonOf(menu), false); return;
      case " ":
        // Space activates a link menu item, as Enter does.
        if (event.target.tagName === "A") { event.preventDefault(); event.target.click(); }
        return;
      default: return;
    }
    event.preventDefault();
    next.focus();
  });

  function copyLink(url) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(
        function () { announce("Link copied"); },
        function () { announce("Couldn't copy the link. Open App details to copy it by hand."); }
      );
    } else {
      announce("Your browser doesn't allow copying here. Open App details to copy the link by hand.");
    }
  }

  // My Apps search: filter the tiles as the person types; the form still submits ?q= without JavaScript.
  function setupFilter(input) {
    const list = document.querySelector(input.getAttribute("data-app-filter"));
    if (!list) return;
    const count = document.getElementById("app-count");
    const empty = document.getElementById("app-filter-empty");
    const tiles = Array.from(list.querySelectorAll("[data-app-name]"));
    let timer = null;
    function apply() {
      const wanted = input.value.trim().toLowerCase();
      let shown = 0;
      tiles.forEach(function (tile) {
        const match = !wanted || tile.getAttribute("data-app-name").indexOf(wanted) !== -1;
        tile.hidden = !match;
        if (match) shown += 1;
      });
      if (empty) empty.hidden = shown !== 0;
      if (count) {
        count.textContent = shown + (shown === 1 ? " app" : " apps") + (wanted ? " matching “" + input.value.trim() + "”" : "");
      }
    }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(apply, 150);
    });
  }

  // Grid / list view: remembered in this browser; ?view= in the link wins and works without JavaScript.
  function setupViewToggle(form) {
    const list = document.querySelector(form.getAttribute("data-view-toggle"));
    const buttons = Array.from(form.querySelectorAll("button[name=view]"));
    function show(view) {
      if (list) list.classList.toggle("tiles--list", view === "list");
      buttons.forEach(function (button) {
        button.setAttribute("aria-pressed", String(button.value === view));
      });
    }
    let stored = null;
    try { stored = window.localStorage.getItem(VIEW_KEY); } catch (error) { stored = null; }
    if (form.getAttribute("data-view-explicit") !== "true" && (stored === "grid" || stored === "list")) show(stored);
    buttons.forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        show(button.value);
        try { window.localStorage.setItem(VIEW_KEY, button.value); } catch (error) { /* private mode: not remembered */ }
      });
    });
  }

  function init() {
    // These boxes search as you type; their Search button is for browsers without JavaScript
    // (hidden, it still submits on Enter).
    document.querySelectorAll("[data-search-submit]").forEach(function (button) { button.hidden = true; });
    document.querySelectorAll("[data-app-filter]").forEach(setupFilter);
    document.querySelectorAll("[data-view-toggle]").forEach(setupViewToggle);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
