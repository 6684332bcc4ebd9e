/* ExoKG pages: the SPARQL editor, sortable tables and the graph views. No framework.
 * Works without the vendored libraries too: the page then keeps its plain text area
 * and tables, and graph views say that Cytoscape.js is not installed. */
(function () {
  "use strict";
  var exokg = (window.exokg = window.exokg || {});

  /* ---------------------------------------------------------- node -> page */
  /* A node opens the page the server put in its data ("url": its page here, or an http(s)
   * IRI); an empty url (javascript:, data:, ... IRIs) opens nothing. The rule is the
   * server's (server/ui.py local_url), never re-made here from the raw IRI. */
  exokg.navigate = function (url) { window.location.assign(url); };

  /* ---------------------------------------------------------- sortable tables */
  function cellValue(td) {
    var v = td.getAttribute("data-sort");
    if (v === null) v = td.textContent.trim();
    var n = Number(v);
    return v !== "" && !isNaN(n) ? n : v.toLowerCase();
  }

  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      th.tabIndex = 0;
      th.title = "Sort by " + th.textContent;
      function sort() {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a.cells[col]), y = cellValue(b.cells[col]);
          if (typeof x !== typeof y) { x = String(x); y = String(y); }
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
  }

  /* ---------------------------------------------------------- graph drawing */
  /* a drawn name as the pages show one (kg/display.py's NAME_SHOWN, which the page's body
   * carries, and clip): a user's 1 MiB name, wrapped, was a column of text thousands of
   * lines high */
  var CUT = /\u2026 \([0-9,]+ characters\)$/;
  function shown(text) {
    var size = Number(document.body.dataset.nameShown);
    var chars = Array.from(text);  /* code points, as Python counts them: no half pair */
    if (chars.length <= size) return text;
    /* cut by the server already (a query page's drawing), saying the whole length */
    if (CUT.test(text) && chars.length - text.match(CUT)[0].length <= size) return text;
    return chars.slice(0, size).join("") + "\u2026 (" +
      chars.length.toLocaleString("en") + " characters)";
  }

  var DEFAULT_STYLE = [
    { selector: "node", style: { label: "data(label)", "font-size": 10, "background-color": "#9aa7b8",
      "text-valign": "bottom", "text-margin-y": 3, width: 18, height: 18 } },
    { selector: "node.center", style: { "background-color": "#d1495b", width: 28, height: 28,
      "font-weight": "bold" } },
    { selector: "edge", style: { "curve-style": "bezier", "target-arrow-shape": "triangle",
      width: 1.2, "line-color": "#c3ccd6", "target-arrow-color": "#c3ccd6", label: "data(short)",
      "font-size": 7, color: "#6b7785", "text-rotation": "autorotate" } }
  ];

  /* a long name (an isolation kit's) on a few lines: the rings leave room for the widest label */
  var WRAPPED_LABELS = { selector: "node", style: { "text-wrap": "wrap", "text-max-width": 120 } };

  /* A neighbourhood (every node has its depth from the centre) is drawn in rings around
   * the centre, no two labels over each other: at each depth the kinds with few nodes (its
   * diseases, methods, roles) share the inner rings and a kind with many (a hub's studies)
   * gets a ring of its own further out. A force-directed layout piled the first ring on
   * top of the centre, and a hub's studies over everything. Anything else (a query's
   * graph) is laid out by force. */
  var RING_MIN = 16; // nodes a ring gathers before the next kind starts a ring further out
  var RING_MAX = 40; // a larger kind is spread over rings of about this many (a narrower picture)

  function ringsOf(nodes) {
    var groups = {};
    nodes.forEach(function (n) {
      var key = n.data.depth + "\u0000" + (n.data.kind || "");
      (groups[key] = groups[key] || []).push(n);
    });
    var order = [];
    Object.keys(groups).forEach(function (k) {
      var group = groups[k].sort(function (a, b) {
        return String(a.data.label).localeCompare(String(b.data.label));
      });
      var parts = Math.ceil(group.length / RING_MAX), each = Math.ceil(group.length / parts);
      for (var i = 0; i < group.length; i += each) order.push(group.slice(i, i + each));
    });
    order.sort(function (a, b) {
      return a[0].data.depth - b[0].data.depth || a.length - b.length ||
        String(a[0].data.kind || "").localeCompare(String(b[0].data.kind || ""));
    });
    var ring = -1, size = RING_MIN, depth = null, slot = 0, place = {};
    order.forEach(function (group) {
      if (group[0].data.depth !== depth || size >= RING_MIN || size + group.length > RING_MAX) {
        ring += 1;
        size = 0;
        depth = group[0].data.depth;
      }
      // the layout keeps the elements' order around a ring: kind by kind, by label
      group.forEach(function (n) { n.data._ring = ring; place[n.data.id] = slot++; });
      size += group.length;
    });
    nodes.sort(function (a, b) { return place[a.data.id] - place[b.data.id]; });
    return order.length ? ring : 0;
  }

  function layoutFor(elements, center) {
    var nodes = elements.nodes;
    if (nodes.length < 2) return { name: "grid" };
    var ringed = center && nodes.every(function (n) { return typeof n.data.depth === "number"; });
    if (!ringed) {
      return { name: "cose", animate: false, nodeRepulsion: 9000, idealEdgeLength: 90,
               randomize: false };
    }
    var outermost = ringsOf(nodes);
    return { name: "concentric", animate: false, avoidOverlap: true,
             nodeDimensionsIncludeLabels: true, minNodeSpacing: 12, startAngle: Math.PI / 2,
             concentric: function (node) { return outermost - node.data("_ring"); },
             levelWidth: function () { return 1; } };
  }

  function drawGraph(container, elements, options) {
    options = options || {};
    if (!window.cytoscape) {
      container.textContent = "The graph view needs Cytoscape.js, which is not installed " +
        "(cd web && npm ci && npm run copy).";
      return null;
    }
    elements.nodes.forEach(function (n) {
      var d = n.data;
      if (!d.label) d.label = d.name || d.id;
      d.label = shown(String(d.label));
    });
    elements.edges.forEach(function (e) {
      var d = e.data;
      if (!d.short) d.short = String(d.label || d.predicate || "").replace(/^[a-z]+:/, "");
    });
    var style = DEFAULT_STYLE.slice();
    if (options.style) style = options.style.concat(DEFAULT_STYLE.slice(1));
    style.push(WRAPPED_LABELS);
    var cy = window.cytoscape({
      container: container,
      elements: elements,
      style: style,
      layout: layoutFor(elements, options.center)
    });
    if (options.center) cy.getElementById(options.center).addClass("center");
    cy.on("tap", "node", function (evt) {
      var node = evt.target;
      var url = node.data("url");
      if (url && url !== window.location.pathname) exokg.navigate(url);
    });
    cy.on("mouseover", "node", function () { container.style.cursor = "pointer"; });
    cy.on("mouseout", "node", function () { container.style.cursor = ""; });
    return cy;
  }
  exokg.drawGraph = drawGraph;

  /* ---------------------------------------------------------- query page */
  function initQueryPage() {
    var form = document.getElementById("query-form");
    var textarea = document.getElementById("query");
    var holder = document.getElementById("yasqe");
    if (!form || !textarea) return;
    function submit() {
      if (exokg.yasqe) textarea.value = exokg.yasqe.getValue();
      form.submit();
    }
    if (window.Yasqe && holder) {
      var yasqe = new window.Yasqe(holder, {
        value: textarea.value,
        persistenceId: null,
        consumeShareLink: null,
        createShareableLink: null,
        showQueryButton: false,
        resizeable: true,
        editorHeight: "22rem",
        autocompleters: ["prefixes", "variables"],
        requestConfig: { endpoint: "/sparql", method: "GET" },
        extraKeys: { "Ctrl-Enter": submit, "Cmd-Enter": submit }
      });
      yasqe.setValue(textarea.value);
      textarea.hidden = true;
      exokg.yasqe = yasqe;
      form.addEventListener("submit", function () { textarea.value = yasqe.getValue(); });
    } else {
      textarea.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
      });
    }
    var data = document.getElementById("graph-data");
    var container = document.getElementById("graph");
    if (data && container) {
      exokg.cy = drawGraph(container, JSON.parse(data.textContent));
    }
    var select = document.getElementById("download-format");
    var link = document.getElementById("download-link");
    if (select && link) {
      select.addEventListener("change", function () { link.href = select.value; });
    }
  }

  /* ---------------------------------------------------------- entity page */
  function initNeighborhood() {
    var section = document.getElementById("neighborhood");
    if (!section) return;
    var api = section.getAttribute("data-api");
    var node = section.getAttribute("data-node");
    var container = document.getElementById("graph");
    var depth = document.getElementById("depth");
    var predicateBox = document.getElementById("predicates");
    var formatSelect = document.getElementById("neighborhood-format");
    var download = document.getElementById("neighborhood-download");
    var status = document.getElementById("graph-status");
    var known = null; // predicates seen at the current depth, in order

    function chosen() {
      if (!known) return null;
      var boxes = predicateBox.querySelectorAll("input[type=checkbox]");
      var on = [];
      Array.prototype.forEach.call(boxes, function (b) { if (b.checked) on.push(b.value); });
      return on.length === boxes.length ? null : on;
    }

    function url(format) {
      var q = "node=" + encodeURIComponent(node) + "&depth=" + depth.value +
        "&format=" + encodeURIComponent(format);
      var preds = chosen();
      if (preds) q += "&predicates=" + encodeURIComponent(preds.join(","));
      return api + "?" + q;
    }

    function updateDownload() {
      download.href = url(formatSelect.value);
      download.setAttribute("download", "exokg-neighborhood." + (formatSelect.selectedOptions[0]
        ? formatSelect.selectedOptions[0].textContent.replace(/.*\(\.(\w+)\)$/, "$1") : "txt"));
    }

    function listPredicates(doc) {
      var seen = {};
      doc.elements.edges.forEach(function (e) { seen[e.data.predicate || e.data.key] = true; });
      known = Object.keys(seen).sort();
      predicateBox.innerHTML = "<legend>Edges</legend>";
      known.forEach(function (p) {
        var label = document.createElement("label");
        var box = document.createElement("input");
        box.type = "checkbox"; box.value = p; box.checked = true;
        box.addEventListener("change", load);
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + p.replace(/^exo:/, "")));
        predicateBox.appendChild(label);
      });
    }

    function getJSON(address) {
      return fetch(address, { headers: { Accept: "application/json" } }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      });
    }

    function load(resetPredicates) {
      if (resetPredicates === true) known = null;
      updateDownload();
      status.textContent = "Loading…";
      /* the drawing (Cytoscape.js JSON, with style) and the nodes' page links (the JSON
       * answer's "url") in parallel */
      Promise.all([getJSON(url("cytoscape")), getJSON(url("json"))])
        .then(function (answers) {
          var doc = answers[0], pages = {};
          answers[1].nodes.forEach(function (n) { pages[n.id] = n.url; });
          doc.elements.nodes.forEach(function (n) { n.data.url = pages[n.data.id] || ""; });
          // the JSON answer says when the neighborhood was cut at the node cap
          var truncated = answers[1].truncated === true;
          if (!known) listPredicates(doc);
          if (exokg.cy) exokg.cy.destroy();
          container.innerHTML = "";
          exokg.cy = drawGraph(container, doc.elements, { style: doc.style, center: node });
          var n = doc.elements.nodes.length, m = doc.elements.edges.length;
          status.textContent = n + " nodes, " + m + " edges" +
            (truncated ? " (truncated: the neighborhood is larger than the node cap; " +
              "the nearest nodes are shown)" : "") + ". Click a node to open its page.";
          section.setAttribute("data-truncated", truncated ? "true" : "false");
          section.setAttribute("data-loaded", "true");
        })
        .catch(function (err) {
          status.textContent = "Could not load the neighborhood: " + err.message;
        });
    }

    depth.addEventListener("change", function () { load(true); });
    formatSelect.addEventListener("change", updateDownload);
    load(true);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
    initQueryPage();
    initNeighborhood();
  });
})();
