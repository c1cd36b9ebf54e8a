// Curation forms (zkg/web/templates/_curate.html, new_entity.html): completes the names of
// entities from this server's label search (/search?q=…&format=json). A choice fills the
// field with "Label <IRI>", which the server reads exactly; text typed without choosing is
// looked up by its label on the server. Nothing here is needed for the forms to work.
"use strict";

(function () {
  // The new-entity form: more values for a field that takes several, and the IRI minted from
  // the name, shown while the curator has not written one (the server mints the same).
  document.querySelectorAll("button[data-add-slot]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      const slots = button.parentElement.querySelectorAll(".slot");
      const last = slots[slots.length - 1];
      const next = Number(last.dataset.slot) + 1;
      const copy = last.cloneNode(true);
      copy.dataset.slot = String(next);
      const key = button.dataset.addSlot;
      const renumber = function (text) { return text.replace(key + "." + last.dataset.slot, key + "." + next); };
      copy.querySelectorAll("[name], [id], label[for]").forEach(function (element) {
        if (element.name) element.name = renumber(element.name);
        if (element.id) element.id = renumber(element.id);
        if (element.htmlFor) element.htmlFor = renumber(element.htmlFor);
        if (element.tagName === "INPUT") { element.value = ""; element.required = false; }
      });
      last.after(copy);
      const first = copy.querySelector("input, select");
      if (first) first.focus();
    });
  });
  // Correcting a value: the value now, beside the new one, for the statement chosen.
  document.querySelectorAll("select[data-shows-old]").forEach(function (select) {
    const old = document.getElementById(select.dataset.showsOld);
    if (!old) return;
    select.addEventListener("change", function () {
      const chosen = select.selectedOptions[0];
      old.textContent = chosen ? chosen.dataset.value : "";
    });
  });
  document.querySelectorAll("input[data-mint-from]").forEach(function (iri) {
    const name = document.getElementById(iri.dataset.mintFrom);
    if (!name) return;
    const mint = function () {
      const slug = name.value.normalize("NFKC").trim().toLowerCase()
        .replace(/[^\p{L}\p{N}_]+/gu, "-").replace(/^[-_]+|[-_]+$/g, "");
      iri.placeholder = slug ? "minted from the name: " + slug : "minted from the name (e.g. lenovo)";
    };
    name.addEventListener("input", mint);
    mint();
  });
})();

(function () {
  const list = document.getElementById("zkg-entities");
  if (!list) return;

  // Characters that hide or reorder text (bidi controls, zero-width, control characters):
  // written \uXXXX, as the server does in pages (zkg/rdf/visible.py); the server reads them back
  // in the IRI between < and >.
  const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cn}\u034F\u115F\u1160\u3164\uFFA0]/gu;
  function shown(text) {
    return String(text).replace(HIDDEN, function (c) {
      if (c === "\t" || c === "\n" || c === "\r") return c;
      const code = c.codePointAt(0);
      return code > 0xFFFF ? "\\U" + code.toString(16).toUpperCase().padStart(8, "0")
                           : "\\u" + code.toString(16).toUpperCase().padStart(4, "0");
    });
  }

  function wantsEntity(input) {
    const kind = input.form.querySelector('input[name="kind"]:checked, input[name="kind"][type="hidden"]');
    return !kind || kind.value === "entity" || kind.value === "same";
  }

  document.querySelectorAll("input[data-entity-search]").forEach(function (input) {
    const searchUrl = input.form.dataset.searchUrl;
    let timer = null;
    let asked = "";
    input.addEventListener("input", function () {
      const text = input.value.trim();
      if (timer) clearTimeout(timer);
      if (!wantsEntity(input) || text.length < 2 || /<[^<>]+>$/.test(text)) return;
      timer = setTimeout(async function () {
        if (text === asked) return;
        asked = text;
        try {
          const url = searchUrl + "?format=json&limit=10&q=" + encodeURIComponent(text);
          const response = await fetch(url, { headers: { Accept: "application/json" } });
          if (!response.ok) return;
          const found = await response.json();
          // Entities of a class the field expects first, marked: the shapes would refuse the others.
          const expected = (input.dataset.classes || "").split(" ").filter(Boolean);
          const fits = function (hit) {
            return expected.length === 0 || hit.types.some(function (t) { return expected.includes(t.iri); });
          };
          const hits = found.results.filter(fits).concat(found.results.filter(function (h) { return !fits(h); }));
          list.replaceChildren(...hits.map(function (hit) {
            const option = document.createElement("option");
            option.value = shown(hit.label) + " <" + shown(hit.iri) + ">";
            const types = hit.types.map(function (t) { return t.label; }).join(", ");
            option.textContent = shown((expected.length && fits(hit) ? "\u2713 " : "") + types);
            return option;
          }));
        } catch (error) {
          // The search is a help, not a need: the server resolves names too.
        }
      }, 150);
    });
  });
})();
