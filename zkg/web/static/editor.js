/* zkg query editor: wires the vendored YASGUI to this zkg deployment.
 *
 * Everything the page needs comes from the server in a JSON block (no inline script, so the
 * page runs under a strict Content-Security-Policy):
 *   <script type="application/json" id="zkg-editor-config">{...}</script>
 * with the endpoint URL, the base IRI, the predeclared prefixes, the example queries, the
 * download formats, the URL of terms.json and an optional initial query.
 *
 * Offline by construction: YASGUI's own autocompleters that call external services
 * (Linked Open Vocabularies for classes and properties, prefix.cc when configured) are
 * replaced here by completers that read this deployment's prefixes and /sparql/terms.json.
 *
 * Completion from the shapes: in predicate position, the classes the query gives the current
 * subject (`?x a schema:Person ; `) are looked up at /sparql/complete?class=…, and the
 * properties their SHACL shapes allow are offered first (marked, with their value types),
 * before the other properties of the store.
 */
(function () {
  "use strict";

  var configElement = document.getElementById("zkg-editor-config");
  var mount = document.getElementById("zkg-yasgui");
  if (!configElement || !mount || typeof Yasgui === "undefined") {
    return; // no editor on this page, or the bundle failed to load: the plain form stays
  }
  var config = JSON.parse(configElement.textContent);
  var Yasqe = Yasgui.Yasqe;
  var prefixes = config.prefixes; // name -> namespace IRI

  document.documentElement.classList.add("zkg-js");

  // -- Syntax checking knows the predeclared prefixes ------------------------------------
  // zkg predeclares its prefixes on the server, so "schema:name" is valid without a PREFIX
  // line. Seed the SPARQL mode's prefix table with them, so the editor neither flags such
  // names as errors nor inserts PREFIX lines for them; Yasr then also uses them to shorten IRIs.
  var sparqlMode = Yasqe.modes && Yasqe.modes.sparql11;
  if (sparqlMode) {
    Yasqe.defineMode("sparql11", function (cmConfig, modeConfig) {
      var mode = sparqlMode(cmConfig, modeConfig);
      var startState = mode.startState;
      mode.startState = function () {
        var state = startState.apply(mode, arguments);
        state.prefixes = Object.assign({}, prefixes, state.prefixes || {});
        return state;
      };
      return mode;
    });
  }

  // -- Autocompletion from this deployment only ------------------------------------------
  var completers = Yasqe.Autocompleters;

  // Prefixes: after "PREFIX", offer the predeclared ones (never prefix.cc).
  var prefixLines = Object.keys(prefixes).sort().map(function (name) {
    return name + ": <" + prefixes[name] + ">";
  });
  completers.prefixes = Object.assign({}, completers.prefixes, {
    get: prefixLines,
    persistenceId: "zkg-prefixes"
  });

  // Classes and properties: from terms.json, fetched once from this server.
  var termsPromise = null;
  function loadTerms() {
    if (!termsPromise) {
      termsPromise = fetch(config.termsUrl, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("terms.json: HTTP " + response.status);
          return response.json();
        })
        .catch(function (error) {
          termsPromise = null; // try again next time
          console.warn("zkg: no term completion:", error.message);
          return { classes: [], properties: [] };
        });
    }
    return termsPromise;
  }

  function localName(iri) {
    var cut = Math.max(iri.lastIndexOf("#"), iri.lastIndexOf("/"));
    return iri.substring(cut + 1);
  }

  var SAFE_LOCAL = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?)?$/;

  // "schema:name" for https://schema.org/name when a prefix fits, else "<iri>".
  function shorten(iri, prefixMap) {
    var best = null;
    Object.keys(prefixMap).forEach(function (name) {
      var ns = prefixMap[name];
      if (iri.indexOf(ns) === 0 && SAFE_LOCAL.test(iri.substring(ns.length)) &&
          (best === null || ns.length > prefixMap[best].length)) {
        best = name;
      }
    });
    return best === null ? "<" + iri + ">" : best + ":" + iri.substring(prefixMap[best].length);
  }

  // -- Completion from the shapes -----------------------------------------------------------
  // The subject of the triple being written, and the classes the query gives it.
  var TOKEN = new RegExp([
    '"""[\\s\\S]*?"""', "'''[\\s\\S]*?'''", '"(?:[^"\\\\\\n]|\\\\.)*"', "'(?:[^'\\\\\\n]|\\\\.)*'",
    '<[^<>"{}|^`\\\\\\s]*>', "#[^\\n]*", "[?$][\\w\\u00B7-\\uFFFF]+",
    "[A-Za-z_][\\w\\-]*:(?:[\\w\\-]+(?:\\.[\\w\\-]+)*)?", ":(?:[\\w\\-]+)?",
    "\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?", "[A-Za-z_][\\w\\-]*", "\\^\\^", "[{}.;,\\[\\]()]"
  ].join("|"), "g");
  var RDF_TYPE = prefixes.rdf ? prefixes.rdf + "type" : null; // rdf: is predeclared

  function lex(text) {
    var found = [], match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(text)) !== null) {
      if (match[0].charAt(0) !== "#") found.push(match[0]);
    }
    return found;
  }

  function expand(term, prefixMap) {
    if (term.charAt(0) === "<") return term.slice(1, -1);
    var colon = term.indexOf(":");
    if (colon < 0) return null;
    var ns = prefixMap[term.substring(0, colon)];
    return ns === undefined ? null : ns + term.substring(colon + 1);
  }

  // Triple blocks as {subject, predicates: [[predicate, objects…], …]}, split at "." "{" "}";
  // what is inside [ ] and ( ) is skipped.
  function statements(tokens) {
    var all = [], current = null, depth = 0;
    tokens.forEach(function (t) {
      if (t === "[" || t === "(") depth++;
      if (t === "]" || t === ")") { depth--; return; }
      if (depth > 0) return;
      if (t === "." || t === "{" || t === "}") { current = null; return; }
      if (current === null) { current = { subject: t, predicates: [[]] }; all.push(current); return; }
      if (t === ";") { current.predicates.push([]); return; }
      current.predicates[current.predicates.length - 1].push(t);
    });
    return all;
  }

  // The classes the query gives the subject of the triple at the cursor.
  function subjectClasses(yasqe) {
    var doc = yasqe.getDoc();
    var mine = statements(lex(doc.getRange({ line: 0, ch: 0 }, doc.getCursor())));
    if (!mine.length) return [];
    var subject = mine[mine.length - 1].subject;
    var prefixMap = Object.assign({}, prefixes, yasqe.getPrefixesFromQuery());
    var classes = [];
    statements(lex(yasqe.getValue())).forEach(function (st) {
      if (st.subject !== subject) return;
      st.predicates.forEach(function (po) {
        if (!po.length || (po[0] !== "a" && (!RDF_TYPE || expand(po[0], prefixMap) !== RDF_TYPE))) return;
        po.slice(1).forEach(function (o) {
          var iri = o === "," ? null : expand(o, prefixMap);
          if (iri && classes.indexOf(iri) < 0) classes.push(iri);
        });
      });
    });
    return classes;
  }

  var classCompletions = {}; // class IRI -> promise of the properties its shapes allow
  function shapeProperties(classes) {
    if (!config.completeUrl) return Promise.resolve([]);
    return Promise.all(classes.map(function (iri) {
      if (!classCompletions[iri]) {
        classCompletions[iri] = fetch(config.completeUrl + "?class=" + encodeURIComponent(iri),
                                      { headers: { Accept: "application/json" } })
          .then(function (response) {
            if (!response.ok) throw new Error("complete: HTTP " + response.status);
            return response.json();
          })
          .then(function (answer) {
            return (answer.properties || []).filter(function (p) { return p.source === "shape" && !p.inverse; });
          })
          .catch(function (error) {
            delete classCompletions[iri];
            console.warn("zkg: no completion from the shapes:", error.message);
            return [];
          });
      }
      return classCompletions[iri];
    })).then(function (lists) {
      var seen = {}, merged = [];
      lists.forEach(function (list) {
        list.forEach(function (p) { if (!seen[p.iri]) { seen[p.iri] = true; merged.push(p); } });
      });
      return merged;
    });
  }

  function describeShape(p) {
    var types = (p.valueTypes || []).slice(0, 3).map(function (v) { return v.curie || localName(v.iri); });
    var more = (p.valueTypes || []).length > 3 ? ", \u2026" : "";
    return "shape" + (p.shapeName ? ": " + p.shapeName : "") + (p.minCount > 0 ? " (required)" : "") +
      (types.length ? " \u2192 " + types.join(", ") + more : "");
  }

  var labels = {}; // suggestion text -> label, for the completion list
  var fromShapes = {}; // suggestion text or IRI -> what the shape says (this completion only)
  function termCompleter(original, kind) {
    return Object.assign({}, original, {
      bulk: false,
      autoShow: true,
      get: function (yasqe, token) {
        if (!token) return Promise.resolve([]);
        // preProcessToken expanded schema:na into the full IRI (https://schema.org/na) when the prefix is
        // known (declared in the query or predeclared); a bare word stays as typed.
        var typed = (token.autocompletionString || "").trim();
        var expanded = typed.indexOf(":") >= 0 && /^[a-z][a-z0-9+.\-]*:\/\//i.test(typed);
        var needle = typed.toLowerCase();
        function fits(iri, label) {
          if (expanded) return iri.indexOf(typed) === 0;
          if (!needle) return true;
          return localName(iri).toLowerCase().indexOf(needle) >= 0 ||
            (label || "").toLowerCase().indexOf(needle) >= 0 ||
            shorten(iri, prefixes).toLowerCase().indexOf(needle) === 0;
        }
        var classes = kind === "properties" ? subjectClasses(yasqe) : [];
        return Promise.all([loadTerms(), shapeProperties(classes)]).then(function (loaded) {
          fromShapes = {};
          // What the subject's shapes allow comes first, then the rest of the store's terms.
          var first = loaded[1].filter(function (p) { return fits(p.iri, p.label); }).map(function (p) {
            labels[p.iri] = p.label;
            fromShapes[p.iri] = p;
            return p.iri;
          });
          var rest = (loaded[0][kind] || []).filter(function (term) {
            return first.indexOf(term.iri) < 0 && fits(term.iri, term.label);
          }).map(function (term) {
            labels[term.iri] = term.label;
            return term.iri;
          });
          return first.concat(rest).slice(0, 100);
        });
      },
      postProcessSuggestion: function (yasqe, token, iri) {
        var text;
        if (token.tokenPrefix && token.tokenPrefixUri && iri.indexOf(token.tokenPrefixUri) === 0) {
          text = token.tokenPrefix + iri.substring(token.tokenPrefixUri.length);
        } else {
          text = shorten(iri, Object.assign({}, prefixes, yasqe.getPrefixesFromQuery()));
        }
        if (labels[iri]) labels[text] = labels[iri];
        if (fromShapes[iri]) fromShapes[text] = fromShapes[iri];
        return text;
      },
      postprocessHints: function (yasqe, hints) {
        hints.forEach(function (hint) {
          var label = labels[hint.text];
          var local = hint.text.replace(/>$/, "").replace(/^.*[:\/#]/, "");
          // Show the label only when it says more than the name does.
          if (label && label.replace(/[\s_-]+/g, "").toLowerCase() !== local.replace(/[_-]+/g, "").toLowerCase()) {
            hint.displayText = hint.text + " \u2014 " + labels[hint.text];
          }
          var shaped = fromShapes[hint.text];
          if (shaped) {
            hint.displayText = (hint.displayText || hint.text) + "  \u00b7 " + describeShape(shaped);
            hint.className = "zkg-shape-hint";
          }
        });
        return hints;
      }
    });
  }
  completers.property = termCompleter(completers.property, "properties");
  completers["class"] = termCompleter(completers["class"], "classes");

  // -- YASGUI, pinned to this endpoint ----------------------------------------------------
  Yasgui.Yasr.plugins.table.defaults.openIriInNewWindow = false;
  Yasgui.defaults.requestConfig.endpoint = config.endpoint;
  Yasqe.defaults.requestConfig.endpoint = config.endpoint;

  var urlQuery = new URLSearchParams(window.location.search).get("query");

  var yasgui = new Yasgui(mount, {
    persistenceId: "zkg-editor",
    copyEndpointOnNewTab: true,
    populateFromUrl: function (tabConfig) {
      // A shared link may name another endpoint; this editor queries only its own.
      tabConfig.requestConfig.endpoint = config.endpoint;
      return tabConfig;
    },
    endpointCatalogueOptions: {
      getData: function () { return [{ endpoint: config.endpoint }]; },
      keys: []
    },
    requestConfig: {
      endpoint: config.endpoint,
      method: "POST",
      acceptHeaderSelect: "application/sparql-results+json",
      acceptHeaderGraph: "text/turtle"
    },
    yasqe: {
      value: config.defaultQuery,
      resizeable: true,
      editorHeight: "300px"
    },
    yasr: {
      prefixes: prefixes
    }
  });

  function pin(tab) {
    if (tab && tab.getEndpoint() !== config.endpoint) tab.setEndpoint(config.endpoint);
  }
  Object.keys(yasgui._tabs).forEach(function (id) { pin(yasgui.getTab(id)); });
  yasgui.on("tabAdd", function (instance, id) { pin(instance.getTab(id)); });
  yasgui.on("tabSelect", function (instance, id) {
    pin(instance.getTab(id));
    window.setTimeout(refreshDownloads, 0);
  });

  // A query POSTed to /sparql by a form (not in the URL): open it in a tab of its own.
  if (config.query && config.query !== urlQuery) {
    yasgui.addTab(true, { name: yasgui.createTabName(), yasqe: { value: config.query } }, { avoidDuplicateTabs: true });
  }

  function currentTab() {
    return yasgui.getTab();
  }

  // -- The query in the address bar, so it can be shared ----------------------------------
  function shareUrl(query) {
    return config.editorUrl + "?query=" + encodeURIComponent(query);
  }
  yasgui.on("query", function (instance, tab) {
    try {
      window.history.replaceState(null, "", shareUrl(tab.getQuery()));
    } catch (e) { /* e.g. an opaque origin */ }
  });

  // -- Entity IRIs in the results ------------------------------------------------------------
  // Every IRI is a link to itself; those under the base IRI are zkg's own entity pages.
  // Characters that hide or reorder text (bidi controls, zero-width, control characters)
  // are written out, as the server does in its pages (zkg/rdf/visible.py): \uXXXX in the text,
  // percent-encoded in a link, so that what a cell shows is where its link goes.
  var HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cn}\u034F\u115F\u1160\u3164\uFFA0]/gu;
  function escapedText(c) {
    if (c === "\t" || c === "\n" || c === "\r") return c;
    var code = c.codePointAt(0);
    return code > 0xFFFF ? "\\U" + code.toString(16).toUpperCase().padStart(8, "0")
                         : "\\u" + code.toString(16).toUpperCase().padStart(4, "0");
  }
  function escapedInUri(c) {
    return (c === "\t" || c === "\n" || c === "\r") ? c : encodeURIComponent(c);
  }
  function showHidden(root) {
    var cells = root.querySelectorAll(".yasr td");
    for (var i = 0; i < cells.length; i++) {
      var walker = document.createTreeWalker(cells[i], NodeFilter.SHOW_TEXT);
      for (var node = walker.nextNode(); node; node = walker.nextNode()) {
        HIDDEN.lastIndex = 0;
        if (HIDDEN.test(node.data)) {
          var inLink = node.parentElement && node.parentElement.closest("a");
          node.data = node.data.replace(HIDDEN, inLink ? escapedInUri : escapedText);
        }
      }
    }
  }
  function markEntityLinks(root) {
    var links = root.querySelectorAll("a.iri");
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute("href") || "";
      HIDDEN.lastIndex = 0;
      if (HIDDEN.test(href)) {
        href = href.replace(HIDDEN, escapedInUri);
        links[i].setAttribute("href", href);
      }
      if (href.indexOf(config.baseIri) === 0) {
        links[i].classList.add("zkg-entity");
        links[i].title = "entity page: " + href;
      }
    }
    showHidden(root);
  }
  yasgui.on("queryResponse", function (instance, tab) {
    window.setTimeout(function () { markEntityLinks(mount); }, 0);
  });
  new MutationObserver(function () { markEntityLinks(mount); })
    .observe(mount, { childList: true, subtree: true });

  // -- Downloads in every format -----------------------------------------------------------
  var downloads = document.getElementById("zkg-downloads");
  function refreshDownloads() {
    var tab = currentTab();
    if (!downloads || !tab) return;
    var yasqe = tab.getYasqe();
    var query = tab.getQuery();
    var type = yasqe && yasqe.getQueryType ? (yasqe.getQueryType() || "SELECT") : "SELECT";
    var kind = (type === "CONSTRUCT" || type === "DESCRIBE") ? "graph" : (type === "ASK" ? "boolean" : "solutions");
    var formats = config.downloads[kind] || [];
    var list = downloads.querySelector("ul");
    list.textContent = "";
    formats.forEach(function (format) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = config.endpoint + "?query=" + encodeURIComponent(query) + "&format=" + encodeURIComponent(format.param);
      link.textContent = format.label;
      link.title = format.mediaType;
      link.setAttribute("download", "zkg-results." + format.extension);
      link.className = "zkg-download";
      link.dataset.format = format.param;
      item.appendChild(link);
      list.appendChild(item);
    });
    downloads.dataset.kind = kind;
    downloads.hidden = !query.trim();
  }
  var pending = null;
  function scheduleDownloads() {
    window.clearTimeout(pending);
    pending = window.setTimeout(refreshDownloads, 150);
  }
  function watch(tab) {
    var yasqe = tab && tab.getYasqe();
    if (yasqe && !yasqe.zkgWatched) {
      yasqe.zkgWatched = true;
      yasqe.on("change", scheduleDownloads);
    }
  }
  Object.keys(yasgui._tabs).forEach(function (id) { watch(yasgui.getTab(id)); });
  yasgui.on("tabChange", function (instance, tab) { watch(tab); scheduleDownloads(); });
  yasgui.on("tabSelect", function (instance, id) { watch(instance.getTab(id)); });
  watch(currentTab());
  refreshDownloads();

  // -- Example queries -----------------------------------------------------------------------
  // Each example is a plain link (/sparql?query=...) that works without script; with script
  // it loads the query into the current tab, named after the example, ready to run.
  var examples = document.querySelectorAll("a.zkg-example");
  for (var i = 0; i < examples.length; i++) {
    examples[i].addEventListener("click", function (event) {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
      var example = config.examples[Number(this.dataset.example)];
      if (!example) return;
      event.preventDefault();
      var tab = currentTab();
      tab.setQuery(example.query);
      tab.setName(example.title);
      var yasqe = tab.getYasqe();
      if (yasqe) yasqe.focus();
      refreshDownloads();
      var active = document.querySelectorAll("a.zkg-example.active");
      for (var j = 0; j < active.length; j++) active[j].classList.remove("active");
      this.classList.add("active");
      if (mount.getBoundingClientRect().top < 0) mount.scrollIntoView({ block: "start" });
    });
  }

  window.zkgEditor = { yasgui: yasgui, config: config, refreshDownloads: refreshDownloads };
})();
