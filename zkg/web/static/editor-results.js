/* zkg query editor: results and errors a person can read.
 *
 * Loaded after the YASGUI bundle and before editor.js, with the page's JSON configuration
 * (editor.js describes it). It changes how YASR shows things, nothing else:
 *
 * - IRIs as their labels. After a table is drawn, the IRIs it shows (at most MAX_IRIS a page)
 *   are looked up with one more SPARQL query at this endpoint: each one's rdfs:label,
 *   schema:name or skos:prefLabel in the reader's language (navigator.languages), else English,
 *   else an untagged one, else any. A cell shows the label, linked: zkg's own IRIs to their
 *   page here, others to the IRI itself; the full IRI is its title (on hover). An IRI without a
 *   label shows as a prefixed name (schema:Person) with the predeclared prefixes.
 * - Literals as values: numbers with thousands separators (183,400,000,000), other values as
 *   written (2014, CNY), no quotes; a language as a small tag; the datatype on hover.
 * - A "raw terms" switch in the results' header shows YASR's own cells again ("Luo Wei"@en,
 *   <http://…>); the choice is kept in localStorage.
 * - A refused query (400) shows the server's explanation: its message, the offending line
 *   quoted with a caret under the column, the hint; the line is marked in the editor.
 */
(function () {
  "use strict";

  var configElement = document.getElementById("zkg-editor-config");
  if (!configElement || typeof Yasgui === "undefined") return;
  var config = JSON.parse(configElement.textContent);
  var prefixes = config.prefixes;
  var Table = Yasgui.Yasr.plugins.table;

  var RAW_KEY = "zkg-editor-raw-terms";
  var MAX_IRIS = 300; // looked up per drawn page of results
  var BATCH = Math.max(1, Math.min(config.rowLimit || 100, 100)); // IRIs per label query (one row each)

  var raw = false;
  try { raw = window.localStorage.getItem(RAW_KEY) === "1"; } catch (e) { /* storage off */ }

  // -- small helpers ----------------------------------------------------------------------------
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  // Characters that hide or reorder text, written out as the server does (zkg/rdf/visible.py).
  var HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cn}\u034F\u115F\u1160\u3164\uFFA0]/gu;
  function visibleText(text) {
    return text.replace(HIDDEN, function (c) {
      if (c === "\t" || c === "\n" || c === "\r") return c;
      var code = c.codePointAt(0);
      return code > 0xFFFF ? "\\U" + code.toString(16).toUpperCase().padStart(8, "0")
                           : "\\u" + code.toString(16).toUpperCase().padStart(4, "0");
    });
  }
  function visibleUri(text) {
    return text.replace(HIDDEN, function (c) {
      return (c === "\t" || c === "\n" || c === "\r") ? c : encodeURIComponent(c);
    });
  }

  var SAFE_LOCAL = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?)?$/;
  // "schema:Person" for https://schema.org/Person when a predeclared prefix fits, else null.
  function curie(iri) {
    var best = null;
    Object.keys(prefixes).forEach(function (name) {
      var ns = prefixes[name];
      if (iri.indexOf(ns) === 0 && SAFE_LOCAL.test(iri.substring(ns.length)) &&
          (best === null || ns.length > prefixes[best].length)) best = name;
    });
    return best === null ? null : best + ":" + iri.substring(prefixes[best].length);
  }

  // Where a cell links: zkg's own IRIs to their page here (zkg/web/iris.py), others to
  // themselves when they are web addresses; null for anything else (javascript:, urn:…).
  var URL_SAFE = /[^A-Za-z0-9\/:@!$&'()*+,;=\-._~]/gu;
  function linkOf(iri) {
    if (iri.indexOf(config.baseIri) === 0) {
      var path = iri.substring(config.baseIri.length);
      if (config.dereferenceable.some(function (p) { return path.indexOf(p) === 0; })) {
        return { href: config.pageUrl + path.replace(URL_SAFE, encodeURIComponent), own: true };
      }
    }
    return /^https?:\/\//i.test(iri) ? { href: visibleUri(iri), own: false } : null;
  }

  // -- numbers ---------------------------------------------------------------------------------
  var NUMERIC = {};
  (config.numericTypes || []).forEach(function (t) { NUMERIC[t] = true; });
  function grouped(digits) { return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  // Thousands separated, decimals as written, no exponent (zkg/linked_data/formatting.py):
  // 183400000000 and 1.834E11 are 183,400,000,000; 40.40 stays 40.40; NaN and INF as written.
  function formatNumber(lexical) {
    var m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(lexical.trim());
    if (!m || !(m[2] || m[3])) return lexical;
    var sign = m[1] === "-" ? "-" : "", whole = m[2] || "0", fraction = m[3] || "";
    if (m[4] !== undefined) {
      var shift = parseInt(m[4], 10);
      if (Math.abs(shift) > 30) return lexical;
      var digits = whole + fraction, point = whole.length + shift;
      if (point <= 0) { digits = "0".repeat(1 - point) + digits; point = 1; }
      if (point > digits.length) digits += "0".repeat(point - digits.length);
      whole = digits.substring(0, point);
      fraction = digits.substring(point).replace(/0+$/, "");
    }
    whole = whole.replace(/^0+(?=\d)/, "");
    var point = fraction !== "" || (m[3] !== undefined && m[4] === undefined); // "5." stays "5."
    return sign + grouped(whole) + (point ? "." + fraction : "");
  }

  // -- cells -----------------------------------------------------------------------------------
  var labels = {}; // IRI -> label, or "" when it has none
  var asked = {}; // IRI -> true once looked up (or being looked up)

  function iriCell(iri) {
    var link = linkOf(iri);
    var label = labels[iri];
    var shown = label ? visibleText(label) : (curie(iri) || visibleUri(iri));
    var classes = "iri zkg-term" + (link && link.own ? " zkg-entity" : "") + (label ? " zkg-labelled" : "");
    var attributes = ' class="' + classes + '" data-zkg-iri="' + escapeHtml(iri) + '" title="' +
      escapeHtml(visibleUri(iri)) + '"';
    if (!link) return "<span" + attributes + ">" + escapeHtml(shown) + "</span>";
    return '<a href="' + escapeHtml(link.href) + '"' + attributes + ">" + escapeHtml(shown) + "</a>";
  }

  function literalCell(binding) {
    var value = binding.value, lang = binding["xml:lang"], datatype = binding.datatype;
    var shown = escapeHtml(visibleText(value)), title, kind = "";
    if (lang) {
      title = "rdf:langString, @" + lang;
      shown += ' <span class="zkg-lang">' + escapeHtml(lang) + "</span>";
    } else if (datatype && NUMERIC[datatype]) {
      kind = " zkg-number";
      title = (curie(datatype) || datatype) + ": " + value;
      shown = escapeHtml(formatNumber(value));
    } else {
      title = datatype ? (curie(datatype) || datatype) : "xsd:string";
    }
    return '<span class="zkg-value' + kind + '" title="' + escapeHtml(visibleUri(title)) + '">' + shown + "</span>";
  }

  var rawCell = Table.prototype.getCellContent;
  Table.prototype.getCellContent = function (binding, prefixMap) {
    if (raw) return rawCell.call(this, binding, prefixMap);
    if (binding.type === "uri") return "<div>" + iriCell(binding.value) + "</div>";
    if (binding.type === "literal" || binding.type === "typed-literal") return "<div>" + literalCell(binding) + "</div>";
    if (binding.type === "bnode") {
      return '<div><span class="zkg-value" title="blank node">_:' + escapeHtml(binding.value) + "</span></div>";
    }
    return rawCell.call(this, binding, prefixMap); // quoted triples: as YASR writes them
  };

  // -- labels ----------------------------------------------------------------------------------
  var LANGUAGE = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;
  var IRI_WRITABLE = /^[^\u0000-\u0020<>"{}|^`\\]+$/u;
  function languageRanges() {
    var ranges = [];
    (navigator.languages || [navigator.language || "en"]).concat(["en"]).forEach(function (tag) {
      [tag, tag.split("-")[0]].forEach(function (range) {
        range = (range || "").toLowerCase();
        if (LANGUAGE.test(range) && ranges.indexOf(range) < 0) ranges.push(range);
      });
    });
    return ranges.slice(0, 6);
  }

  // One row per IRI: the best label, its rank (by language) written before it.
  function labelQuery(iris) {
    var ranges = languageRanges();
    var rank = 'IF(LANG(?label) = "", ' + ranges.length + ", " + (ranges.length + 1) + ")";
    for (var i = ranges.length - 1; i >= 0; i--) {
      rank = 'IF(LANGMATCHES(LANG(?label), "' + ranges[i] + '"), ' + i + ", " + rank + ")";
    }
    return "SELECT ?iri (MIN(?ranked) AS ?best) WHERE {\n" +
      "  VALUES ?iri { " + iris.map(function (iri) { return "<" + iri + ">"; }).join(" ") + " }\n" +
      "  ?iri rdfs:label|schema:name|skos:prefLabel ?label .\n" +
      "  BIND(CONCAT(STR(" + rank + '), " ", STR(?label)) AS ?ranked)\n' +
      "} GROUP BY ?iri";
  }

  function lookUp(iris) {
    var body = new URLSearchParams({ query: labelQuery(iris) });
    return fetch(config.endpoint, {
      method: "POST",
      headers: { Accept: "application/sparql-results+json" },
      body: body
    }).then(function (response) {
      if (response.status === 400) return { results: { bindings: [] } }; // refused: asking again will not help
      if (!response.ok) throw new Error("labels: HTTP " + response.status);
      return response.json();
    }).then(function (answer) {
      iris.forEach(function (iri) { labels[iri] = ""; });
      answer.results.bindings.forEach(function (row) {
        if (row.iri && row.best) labels[row.iri.value] = row.best.value.replace(/^\d+ /, "");
      });
    }).catch(function (error) {
      iris.forEach(function (iri) { delete asked[iri]; }); // asked again when the table is drawn again
      console.warn("zkg: no labels:", error.message);
    });
  }

  function showLabels(root) {
    var cells = root.querySelectorAll("[data-zkg-iri]:not(.zkg-labelled)");
    for (var i = 0; i < cells.length; i++) {
      var label = labels[cells[i].getAttribute("data-zkg-iri")];
      if (label) {
        cells[i].textContent = visibleText(label);
        cells[i].classList.add("zkg-labelled");
      }
    }
  }

  function labelCells(root) {
    if (raw) return;
    showLabels(root);
    var wanted = [];
    var cells = root.querySelectorAll("[data-zkg-iri]:not(.zkg-labelled)");
    for (var i = 0; i < cells.length && wanted.length < MAX_IRIS; i++) {
      var iri = cells[i].getAttribute("data-zkg-iri");
      if (!asked[iri] && IRI_WRITABLE.test(iri)) {
        asked[iri] = true;
        wanted.push(iri);
      }
    }
    var batches = [];
    for (var start = 0; start < wanted.length; start += BATCH) {
      batches.push(lookUp(wanted.slice(start, start + BATCH)));
    }
    if (batches.length) Promise.all(batches).then(function () { showLabels(root); });
  }

  // -- the raw terms switch ----------------------------------------------------------------------
  function redrawAll() {
    var editor = window.zkgEditor;
    if (!editor) return;
    Object.keys(editor.yasgui._tabs).forEach(function (id) {
      var tab = editor.yasgui.getTab(id);
      var yasr = tab && tab.getYasr && tab.getYasr();
      if (yasr && yasr.results) yasr.draw();
    });
  }

  function addSwitch(header) {
    var label = document.createElement("label");
    label.className = "zkg-raw-switch";
    label.title = "Show terms as SPARQL writes them: IRIs in full, literals with quotes, languages and datatypes";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.className = "zkg-raw-terms";
    box.checked = raw;
    box.addEventListener("change", function () {
      raw = box.checked;
      try { window.localStorage.setItem(RAW_KEY, raw ? "1" : "0"); } catch (e) { /* storage off */ }
      var boxes = document.querySelectorAll("input.zkg-raw-terms");
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = raw;
      redrawAll();
    });
    label.appendChild(box);
    label.appendChild(document.createTextNode(" raw terms"));
    header.appendChild(label);
  }

  // -- errors ----------------------------------------------------------------------------------
  // The server's 400 answer: the message, a blank line, then quoted lines (" 3 | …" and
  // "   | ^"), and "hint: …" lines (zkg/sparql/explain.py).
  // (YASR gives no status with the text of an answer that is not ok; a network failure, whose
  // text is the browser's, keeps YASR's own explanation.)
  var QUOTED = /^\s*(\d+)? \| /;
  var NETWORK = /^(?:Failed to fetch|NetworkError|Load failed|Request has been terminated)/;
  function renderError(error) {
    if (!error || !error.text || (error.status && error.status !== 400) || NETWORK.test(error.text)) {
      return Promise.resolve(undefined);
    }
    var box = document.createElement("div");
    box.className = "zkg-error";
    var parts = error.text.replace(/\n+$/, "").split("\n\n");
    var message = document.createElement("p");
    message.className = "zkg-error-message";
    message.textContent = parts.shift();
    box.appendChild(message);
    var block = null, marked = null;
    parts.join("\n\n").split("\n").forEach(function (line) {
      var quoted = QUOTED.exec(line);
      if (quoted) {
        if (!block) {
          block = document.createElement("pre");
          block.className = "zkg-error-quote";
          box.appendChild(block);
        }
        block.textContent += (block.textContent ? "\n" : "") + line;
        if (quoted[1] && marked === null) marked = Number(quoted[1]);
      } else if (line.trim()) {
        block = null;
        var hint = document.createElement("p");
        hint.className = line.indexOf("hint: ") === 0 ? "zkg-error-hint" : "zkg-error-more";
        hint.textContent = line;
        box.appendChild(hint);
      }
    });
    if (marked !== null) markLine(marked);
    return Promise.resolve(box);
  }

  // The quoted line, marked in the editor until the query changes.
  function markLine(number) {
    var editor = window.zkgEditor;
    var yasqe = editor && editor.yasgui.getTab() && editor.yasgui.getTab().getYasqe();
    if (!yasqe || number < 1 || number > yasqe.lineCount()) return;
    var handle = yasqe.addLineClass(number - 1, "background", "zkg-error-line");
    yasqe.on("change", function clear() {
      yasqe.removeLineClass(handle, "background", "zkg-error-line");
      yasqe.off("change", clear);
    });
  }
  Yasgui.Yasr.defaults.errorRenderers = [renderError].concat(Yasgui.Yasr.defaults.errorRenderers || []);

  // -- watching the results ----------------------------------------------------------------------
  function start() {
    var mount = document.getElementById("zkg-yasgui");
    if (!mount) return;
    var pending = null;
    function look() {
      var headers = mount.querySelectorAll(".yasr_header");
      for (var i = 0; i < headers.length; i++) {
        if (!headers[i].querySelector(".zkg-raw-switch")) addSwitch(headers[i]);
      }
      labelCells(mount);
    }
    new MutationObserver(function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(look, 30);
    }).observe(mount, { childList: true, subtree: true });
    look();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.zkgResults = { formatNumber: formatNumber, labels: labels, isRaw: function () { return raw; } };
})();
