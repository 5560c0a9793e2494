// Progressive enhancement only: every form here also works with its submit button.
// Forms marked data-autosubmit submit when one of their fields changes.
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (form) {
    form.requestSubmit();
  }
});

// A grouped findings row unfolds its findings (loaded once by htmx) and folds them again.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-expands]");
  if (!button) {
    return;
  }
  const target = document.getElementById(button.dataset.expands);
  const open = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", String(open));
  target.hidden = !open;
});
