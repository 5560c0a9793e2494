// Progressive enhancement only: every form here also works with its submit button, and every
// page reads the same without this file. No inline handlers: the CSP allows scripts from this
// site only.

// Forms marked data-autosubmit submit when a checkbox or radio button of theirs is flipped (a
// click or the space bar: a deliberate act). A select never submits on change: a keyboard user
// walks its options with the arrow keys, each step a change, and submits with the form's button.
document.addEventListener("change", (event) => {
  const field = event.target;
  const form = field.closest("form[data-autosubmit]");
  if (form && (field.type === "checkbox" || field.type === "radio")) {
    form.requestSubmit();
  }
});

// A copy button after each element marked data-copy: code blocks and resource hashes. It copies
// the attribute's value when it has one (a hash shown shortened), else the element's text.
function addCopyButtons(root) {
  for (const source of root.querySelectorAll(":is([data-copy], .advice pre):not([data-copy-ready])")) {
    source.setAttribute("data-copy-ready", "");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    const what = source.tagName === "PRE" ? "the command" : "the full value";
    button.setAttribute("aria-label", `Copy ${what}`);
    button.addEventListener("click", () => copyFrom(source, button));
    source.insertAdjacentElement("afterend", button);
  }
}

async function copyFrom(source, button) {
  const text = source.getAttribute("data-copy") || source.textContent.trim();
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    // No clipboard (a plain-HTTP origin, a refused permission): select it for Ctrl+C instead.
    const range = document.createRange();
    range.selectNodeContents(source);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
    button.textContent = "Selected: press Ctrl+C";
  }
  setTimeout(() => {
    button.textContent = "Copy";
  }, 2000);
}

// The new-scan form's region picker: buttons that tick every region, the regions every account
// has enabled (data-default-enabled), or none. Without this file it is a plain list of boxes.
function setUpRegionPickers(root) {
  for (const picker of root.querySelectorAll("[data-region-picker]:not([data-picker-ready])")) {
    picker.setAttribute("data-picker-ready", "");
    const boxes = () => picker.querySelectorAll("input[type=checkbox]");
    const tools = picker.querySelector(".region-tools");
    tools.hidden = false;
    tools.addEventListener("click", (event) => {
      const choice = event.target.closest("button[data-pick]");
      if (!choice) {
        return;
      }
      for (const box of boxes()) {
        const pick = choice.dataset.pick;
        box.checked = pick === "all" || (pick === "default" && box.hasAttribute("data-default-enabled"));
      }
    });
  }
}

function enhance(root) {
  addCopyButtons(root);
  setUpRegionPickers(root);
}

document.addEventListener("DOMContentLoaded", () => enhance(document));
// Parts of pages that htmx swaps in (the findings table, the progress table) get the same.
document.addEventListener("htmx:load", (event) => enhance(event.detail.elt));

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
