// Curation forms on entity pages (zkg/web/templates/_curate.html): completes the names of
// entities from this server's label search (/search?q=…&format=json). A choice fills the
// field with "Label <IRI>", which the server reads exactly; text typed without choosing is
// looked up by its label on the server. Nothing here is needed for the forms to work.
"use strict";

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
          list.replaceChildren(...found.results.map(function (hit) {
            const option = document.createElement("option");
            option.value = shown(hit.label) + " <" + shown(hit.iri) + ">";
            option.textContent = shown(hit.types.map(function (t) { return t.label; }).join(", "));
            return option;
          }));
        } catch (error) {
          // The search is a help, not a need: the server resolves names too.
        }
      }, 150);
    });
  });
})();
