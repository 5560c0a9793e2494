// Progressive enhancement only: every form here also works with its submit button.
// Forms marked data-autosubmit submit when one of their fields changes.
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (form) {
    form.requestSubmit();
  }
});
