// Add members: the dialog behind +, the people picker (chips) and the message counter.
// Loaded as a file (the CSP forbids inline scripts); everything is delegated from
// document so it keeps working after htmx swaps the form.
"use strict";

(function () {
  function dialogOf(element) {
    return element.closest("dialog") || document.getElementById("add-members-dialog");
  }

  function returnFocus(dialog) {
    const target = document.getElementById(dialog.dataset.returnFocus || "");
    if (target) target.focus();
  }

  function updateEmptyNote(form) {
    const list = form.querySelector("[data-picked]");
    const note = form.querySelector("[data-picked-empty]");
    if (list && note) note.hidden = list.children.length > 0;
  }

  function updateCounter(textarea) {
    const counter = document.getElementById(textarea.dataset.counter || "");
    const count = counter && counter.querySelector("[data-count]");
    if (count) count.textContent = String(textarea.value.length);
  }

  function pick(button) {
    const form = button.closest("form");
    const list = form.querySelector("[data-picked]");
    const template = form.querySelector("#chip-template");
    const kind = button.dataset.pick;
    const value = button.dataset.value;
    const label = button.dataset.label;
    const already = Array.from(list.querySelectorAll("input[type=hidden]")).some(
      (input) => input.name === kind && input.value === value
    );
    const status = document.getElementById("people-status");
    if (!already) {
      const chip = template.content.firstElementChild.cloneNode(true);
      chip.dataset.kind = kind;
      chip.dataset.value = value;
      chip.querySelector(".chip__label").textContent = label;
      const input = chip.querySelector("input");
      input.name = kind;
      input.value = value;
      chip.querySelector("[data-remove-chip]").setAttribute("aria-label", "Remove " + label);
      list.appendChild(chip);
    }
    if (status) status.textContent = label + (already ? " is already selected." : " selected.");
    const search = form.querySelector("[data-people-search]");
    search.value = "";
    form.querySelector("#people-suggestions").replaceChildren();
    updateEmptyNote(form);
    search.focus();
  }

  function resetForm(dialog) {
    const form = dialog.querySelector("form");
    if (!form) return;
    form.reset();
    const list = form.querySelector("[data-picked]");
    if (list) list.replaceChildren();
    const suggestions = form.querySelector("#people-suggestions");
    if (suggestions) suggestions.replaceChildren();
    const errors = form.querySelector("#add-members-errors");
    if (errors) errors.remove();
    form.querySelectorAll("[data-counter]").forEach(updateCounter);
    updateEmptyNote(form);
  }

  function enhance() {
    document.querySelectorAll("[data-open-dialog]").forEach((button) => {
      button.hidden = false;
      const link = document.getElementById("add-members-link");
      if (link) link.hidden = true;
    });
  }

  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.openDialog);
      dialog.showModal();
      const search = dialog.querySelector("[data-people-search]");
      if (search) search.focus();
      return;
    }
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      dialogOf(closer).close();
      return;
    }
    const remove = event.target.closest("[data-remove-chip]");
    if (remove) {
      const form = remove.closest("form");
      const chip = remove.closest(".chip");
      const label = chip.querySelector(".chip__label").textContent;
      chip.remove();
      const status = document.getElementById("people-status");
      if (status) status.textContent = label + " removed.";
      updateEmptyNote(form);
      form.querySelector("[data-people-search]").focus();
      return;
    }
    const suggestion = event.target.closest("[data-pick]");
    if (suggestion) pick(suggestion);
  });

  // Enter in the search box picks the only (or first) suggestion instead of submitting the form.
  document.addEventListener("keydown", (event) => {
    const search = event.target.closest && event.target.closest("[data-people-search]");
    if (!search || event.key !== "Enter") return;
    event.preventDefault();
    const first = search.form.querySelector("#people-suggestions [data-pick]");
    if (first) pick(first);
  });

  document.addEventListener("input", (event) => {
    if (event.target.matches("[data-counter]")) updateCounter(event.target);
  });

  // The native dialog closes on Escape; either way focus goes back to +.
  document.addEventListener(
    "close",
    (event) => {
      if (event.target.matches && event.target.matches("dialog.dialog")) returnFocus(event.target);
    },
    true
  );

  // Sent by the server (HX-Trigger) after a successful Add: the list is already updated.
  document.body.addEventListener("members-added", () => {
    const dialog = document.getElementById("add-members-dialog");
    if (!dialog) return;
    resetForm(dialog);
    if (dialog.open) dialog.close();
  });

  // A refused Add replaces the form (errors inline): keep focus inside the open dialog.
  document.body.addEventListener("htmx:afterSettle", () => {
    const dialog = document.getElementById("add-members-dialog");
    if (!dialog || !dialog.open || dialog.contains(document.activeElement)) return;
    const search = dialog.querySelector("[data-people-search]");
    if (search) search.focus();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }
})();
