/* The technician's day (operations/pages): the flags and doses as the readings are typed, the
   catalog search of a line, new lines, and the photo's preview. No build step, no library; the
   page works as plain forms without it, less the live answers. */
"use strict";

(function () {
  const DELAY_MS = 250;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function debounce(fn) {
    let timer = null;
    return function (...args) {
      clearTimeout(timer);
      timer = setTimeout(() => fn.apply(this, args), DELAY_MS);
    };
  }

  async function getJson(url) {
    const response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    return { ok: response.ok, status: response.status, body };
  }

  /* --- the live chemistry of one pool's reading ------------------------------------------ */

  function readingInputs(fieldset) {
    return Array.from(fieldset.querySelectorAll("input[name^='reading-']"));
  }

  function fieldOf(input) {
    // reading-<pool id>-<field>
    return input.name.split("-").slice(2).join("-");
  }

  function clearLive(fieldset) {
    for (const input of readingInputs(fieldset)) {
      const box = input.closest(".day-field");
      box.classList.remove("flagged");
      const live = box.querySelector(".day-error.live");
      if (live) live.remove();
    }
  }

  function showErrors(fieldset, live, errors) {
    for (const error of errors) {
      const field = error.loc[error.loc.length - 1];
      const input = fieldset.querySelector(`input[name$='-${field}']`);
      if (!input) continue;
      const message = element("p", "day-error live", error.msg);
      input.closest(".day-field").appendChild(message);
    }
    if (!errors.length) live.appendChild(element("p", "day-error", "The flags could not be worked out."));
  }

  function showAnswer(fieldset, live, answer) {
    if (answer.lsi) {
      live.appendChild(element("p", "day-lsi", `LSI ${answer.lsi.value} (${answer.lsi.status})`));
    }
    if (answer.flags.length) {
      const flags = element("ul", "day-flags");
      for (const flag of answer.flags) {
        const item = element("li", "day-flag", flag.label);
        item.dataset.flag = flag.flag;
        flags.appendChild(item);
        const input = flag.field && fieldset.querySelector(`input[name$='-${flag.field}']`);
        if (input) input.closest(".day-field").classList.add("flagged");
      }
      live.appendChild(flags);
    } else if (answer.lsi || readingInputs(fieldset).some((input) => input.value.trim())) {
      live.appendChild(element("p", "day-quiet", "In range."));
    }
    if (answer.suggestions.length) {
      const doses = element("ul", "day-doses");
      for (const dose of answer.suggestions) {
        const item = element("li", "day-dose");
        item.dataset.chemical = dose.chemical;
        item.appendChild(element("strong", "", `${dose.amount} ${dose.unit_label} ${dose.label}`));
        item.appendChild(element("span", "", dose.reason));
        doses.appendChild(item);
      }
      live.appendChild(doses);
    }
  }

  function watchReading(form, fieldset) {
    const pool = fieldset.dataset.pool;
    const live = document.getElementById(`live-${pool}`);
    let asked = 0;

    async function ask() {
      const number = ++asked;
      const query = new URLSearchParams({ pool_id: pool });
      for (const input of readingInputs(fieldset)) {
        if (input.value.trim()) query.set(fieldOf(input), input.value.trim());
      }
      let result;
      try {
        result = await getJson(`${form.dataset.chemistryUrl}?${query}`);
      } catch (error) {
        result = null;
      }
      if (number !== asked) return; // a later keystroke's answer is the one to show
      clearLive(fieldset);
      live.replaceChildren();
      if (result === null) {
        live.appendChild(element("p", "day-quiet", "Offline: the flags show again once connected."));
      } else if (result.ok) {
        showAnswer(fieldset, live, result.body);
      } else {
        const details = result.body && result.body.details;
        showErrors(fieldset, live, (details && details.errors) || []);
      }
    }

    fieldset.addEventListener("input", debounce(ask));
    if (readingInputs(fieldset).some((input) => input.value.trim())) ask();
  }

  /* --- lines: new rows and the catalog search ------------------------------------------------ */

  function watchLine(form, row) {
    const search = row.querySelector(".day-item-search");
    const select = row.querySelector(".day-item-select");
    let asked = 0;

    async function find() {
      const number = ++asked;
      const query = new URLSearchParams({ q: search.value.trim() });
      let result;
      try {
        result = await getJson(`${form.dataset.itemsUrl}?${query}`);
      } catch (error) {
        result = null;
      }
      if (number !== asked || result === null || !result.ok) return;
      const chosen = select.value;
      const first = select.options[0];
      select.replaceChildren(first);
      for (const item of result.body) {
        const option = element("option", "", `${item.label} · ${item.unit}`);
        option.value = String(item.item_id);
        select.appendChild(option);
      }
      if (result.body.length === 1) select.value = String(result.body[0].item_id);
      else if (chosen) select.value = chosen;
    }

    search.addEventListener("input", debounce(find));
    row.querySelector(".day-remove-line").addEventListener("click", () => row.remove());
  }

  function watchLines(form) {
    const lines = document.getElementById("lines");
    const template = document.getElementById("line-template");
    const add = document.getElementById("add-line");
    if (!lines || !template || !add) return;
    for (const row of lines.querySelectorAll(".day-line")) watchLine(form, row);
    add.addEventListener("click", () => {
      const numbers = Array.from(lines.querySelectorAll(".day-line"), (row) => Number(row.dataset.line));
      const n = numbers.length ? Math.max(...numbers) + 1 : 0;
      const html = template.innerHTML.replaceAll("__n__", String(n));
      const holder = element("div");
      holder.innerHTML = html; // our own template, numbered; no user text in it
      const row = holder.querySelector(".day-line");
      lines.appendChild(row);
      watchLine(form, row);
      row.querySelector(".day-item-search").focus();
    });
  }

  /* --- the photo's preview, and one submission at a time ------------------------------------- */

  function watchPhoto() {
    const input = document.getElementById("id_photo");
    const preview = document.getElementById("photo-preview");
    if (!input || !preview) return;
    input.addEventListener("change", () => {
      const file = input.files && input.files[0];
      if (!file) {
        preview.hidden = true;
        return;
      }
      const reader = new FileReader();
      reader.addEventListener("load", () => {
        preview.src = reader.result; // a data: URL (the page's policy allows data: images)
        preview.alt = file.name;
        preview.hidden = false;
      });
      reader.readAsDataURL(file);
    });
  }

  function oneSubmission(form) {
    const buttons = Array.from(form.querySelectorAll("button[type=submit]"));
    form.addEventListener("submit", () => {
      for (const button of buttons) {
        button.disabled = true;
        button.dataset.label = button.textContent;
        button.textContent = "Sending…";
      }
    });
    // Back from the next page, the browser may show this one as it was left: usable again.
    window.addEventListener("pageshow", () => {
      for (const button of buttons) {
        button.disabled = false;
        if (button.dataset.label) button.textContent = button.dataset.label;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("complete-form");
    if (form) {
      for (const fieldset of form.querySelectorAll("fieldset.day-readings")) watchReading(form, fieldset);
      watchLines(form);
      watchPhoto();
      oneSubmission(form);
    }
    const skip = document.getElementById("skip-form");
    if (skip) oneSubmission(skip);
  });
})();
