// The citykg query page: named queries as examples, an editor, a results table, downloads.
// Everything it needs comes from this server: no CDN, no outside requests.
"use strict";

const BASE = "https://w3id.org/citykg/";
const PREFIXES = {
  "https://w3id.org/citykg/ontology#": "ckg:",
  "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
  "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
  "http://www.w3.org/2001/XMLSchema#": "xsd:",
  "http://www.w3.org/2004/02/skos/core#": "skos:",
  "http://www.wikidata.org/entity/": "wd:",
};
const RESULTS = "application/sparql-results+json";
const RESULT_DOWNLOADS = ["csv", "tsv", "json", "xml"];
const GRAPH_DOWNLOADS = ["turtle", "nt", "jsonld", "rdfxml"];
const FORMAT_NAMES = { csv: "CSV", tsv: "TSV", json: "JSON", xml: "XML", turtle: "Turtle", nt: "N-Triples",
  jsonld: "JSON-LD", rdfxml: "RDF/XML" };

const $ = (id) => document.getElementById(id);
const state = { named: null, catalogue: [], running: null };  // running: the AbortController of the query on its way

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// A link target for an IRI: citykg IRIs open their page on this server.
function hrefOf(iri) {
  if (iri.startsWith(BASE)) return "/" + iri.slice(BASE.length);
  return /^https?:\/\//.test(iri) ? iri : null;
}

function shortIri(iri) {
  if (iri.startsWith(BASE + "id/")) return iri.slice(BASE.length + 3);
  for (const [ns, prefix] of Object.entries(PREFIXES)) {
    if (iri.startsWith(ns) && !/[/#]/.test(iri.slice(ns.length))) return prefix + iri.slice(ns.length);
  }
  return iri;
}

// The nodes that show one RDF term: an IRI as a link, a literal in its language (and direction)
// with its language or datatype after it, a triple term (RDF 1.2) as <<( s p o )>>
function termNodes(term, inTriple) {
  if (!term) return [];
  if (term.type === "uri") {
    const target = hrefOf(term.value);
    const text = shortIri(term.value);
    return [target ? el("a", { href: target, title: term.value }, text) : text];
  }
  if (term.type === "bnode") return ["_:" + term.value];
  if (term.type === "triple") {
    const parts = term.value || {};
    return ["<<( ", ...termNodes(parts.subject, true), " ", ...termNodes(parts.predicate, true), " ",
      ...termNodes(parts.object, true), " )>>"];
  }
  const lang = term["xml:lang"];
  const dir = ["ltr", "rtl"].includes(term["its:dir"]) ? term["its:dir"] : "auto";
  const text = inTriple ? `"${term.value}"` : term.value;
  const nodes = [el("span", lang ? { dir, lang } : { dir: "auto" }, text)];
  if (lang) nodes.push(el("span", { class: "lang" }, "@" + lang));
  else if (term.datatype && !term.datatype.endsWith("#integer") && !term.datatype.endsWith("#decimal")) {
    nodes.push(el("span", { class: "dt" }, shortIri(term.datatype)));
  }
  return nodes;
}

function cell(term) {
  const td = el("td");
  td.append(...termNodes(term, false));
  return td;
}

function setStatus(text, isError) {
  const status = $("status");
  status.textContent = text;
  status.className = isError ? "status error" : "status";
}

// Download links in the formats of the answer's kind: results (SELECT, ASK) or a graph.
function showDownloads(makeUrl, formats) {
  const box = $("downloads");
  if (!formats) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren("Download:");
  for (const fmt of formats) {
    box.append(el("a", { href: makeUrl(fmt), download: "" }, FORMAT_NAMES[fmt]));
  }
}

function downloadsFor(response) {
  if (!response.ok) return null;
  const type = (response.headers.get("content-type") || "").split(";")[0];
  return type === RESULTS || type === "application/json" ? RESULT_DOWNLOADS : GRAPH_DOWNLOADS;
}

// An edited named query runs as plain SPARQL: its parameters are not bound, so say so.
function markEdited() {
  const edited = Boolean(state.named) && $("editor").value !== state.named.sparql;
  $("edited").hidden = !edited;
  for (const input of $("params").querySelectorAll("input")) input.disabled = edited;
}

function renderSolutions(doc, capped, elapsed, studies, lacking) {
  const vars = doc.head.vars;
  const rows = doc.results.bindings;
  const head = el("tr", {}, ...vars.map((v) => el("th", {}, v)));
  const body = el("tbody", {}, ...rows.map((row) => el("tr", {}, ...vars.map((v) => cell(row[v])))));
  $("results").replaceChildren(el("table", { id: "result-table" }, el("thead", {}, head), body));
  setStatus(`${rows.length} row${rows.length === 1 ? "" : "s"} in ${elapsed} ms`);
  if (capped) {
    $("status").append(el("span", { class: "capped" },
      ` — capped at ${capped}; add a LIMIT or narrow the query to see the rest`));
  }
  if (studies) {
    $("status").append(el("span", { class: "mixed" },
      ` — rows of the studies ${decodeURIComponent(studies)}, which no column tells apart: give a study for one`));
  }
  if (lacking && rows.length === 0) {
    $("status").append(el("span", { class: "lacking" }, ` — ${decodeURIComponent(lacking)}, which this query reads`));
  }
}

async function show(response, started) {
  const elapsed = Math.round(performance.now() - started);
  const type = (response.headers.get("content-type") || "").split(";")[0];
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    if (type === "application/json") message = (await response.json()).error || message;
    $("results").replaceChildren();
    setStatus(message, true);
    return;
  }
  const byBytes = response.headers.get("citykg-max-bytes");
  const capped = !response.headers.get("citykg-truncated") ? null
    : byBytes ? size(Number(byBytes)) : `${response.headers.get("citykg-max-rows")} rows`;
  if (type === RESULTS || type === "application/json") {
    const doc = await response.json();
    if ("boolean" in doc) {
      $("results").replaceChildren(el("p", { class: "boolean" }, `ASK: ${doc.boolean}`));
      setStatus(`answered in ${elapsed} ms`);
    } else {
      renderSolutions(doc, capped, elapsed, response.headers.get("citykg-studies"),
        response.headers.get("citykg-lacking"));
    }
  } else {
    $("results").replaceChildren(el("pre", { class: "graph" }, await response.text()));
    setStatus(`${type} in ${elapsed} ms${capped ? ` — capped at ${capped}` : ""}`);
  }
}

function namedParams() {
  const params = new URLSearchParams();
  for (const input of $("params").querySelectorAll("input")) {
    if (input.value.trim()) params.append(input.name, input.value.trim());
  }
  return params;
}

// Run again while a query runs: the earlier request is aborted, and the server stops its query
async function run() {
  if (state.running) state.running.abort();
  const running = new AbortController();
  const signal = running.signal;
  state.running = running;
  setStatus("Running…");
  const started = performance.now();
  try {
    const text = $("editor").value;
    if (state.named && text === state.named.sparql) {
      const params = namedParams();
      const url = `/queries/${encodeURIComponent(state.named.name)}?${params}`;
      const response = await fetch(url, { headers: { Accept: RESULTS }, signal });
      showDownloads((fmt) => `${url}&format=${fmt}`, downloadsFor(response));
      await show(response, started);
    } else {
      const response = await fetch("/sparql", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: `${RESULTS}, text/turtle;q=0.9` },
        body: new URLSearchParams({ query: text }),
        signal,
      });
      showDownloads((fmt) => `/sparql?${new URLSearchParams({ query: text, format: fmt })}`, downloadsFor(response));
      await show(response, started);
    }
  } catch (error) {
    if (!signal.aborted) setStatus(`The server cannot be reached: ${error.message}`, true);
  } finally {
    if (state.running === running) state.running = null;
  }
}

function select(query, button) {
  state.named = query;
  for (const other of document.querySelectorAll(".query-list button")) other.classList.remove("active");
  button.classList.add("active");
  $("named").hidden = false;
  $("named-title").textContent = query.name;
  $("named-summary").textContent = query.summary + (query.description ? ". " + query.description : "");
  const form = $("params");
  form.replaceChildren(...query.parameters.map((p) => el("label", { title: p.doc },
    `${p.name} (${p.type}${p.required ? ", required" : ""})`,
    el("input", { name: p.name, value: query.example[p.name] || "", placeholder: p.doc, dir: "auto" }))));
  $("editor").value = query.sparql;
  markEdited();
  $("results").replaceChildren();
  setStatus("");
}

// A size in bytes as people read it: 32 MiB, 300 KiB, 200 bytes
function size(bytes) {
  if (bytes >= 1048576 && bytes % 1048576 === 0) return `${bytes / 1048576} MiB`;
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} bytes`;
}

async function loadCatalogue() {
  const list = $("query-list");
  try {
    const response = await fetch("/queries", { headers: { Accept: "application/json" } });
    const type = (response.headers.get("content-type") || "").split(";")[0];
    const doc = type === "application/json" ? await response.json() : null;
    if (!response.ok || !Array.isArray(doc)) {  // a broken query file: the server says which, and where
      throw new Error((doc && doc.error) || `HTTP ${response.status}`);
    }
    state.catalogue = doc;
  } catch (error) {
    list.replaceChildren(el("li", { class: "status error" }, `The catalogue cannot be loaded: ${error.message}`));
    return;
  }
  list.replaceChildren(...state.catalogue.map((query) => {
    const button = el("button", { type: "button", "data-query": query.name },
      el("span", { class: "name" }, query.name), el("span", { class: "summary" }, query.summary));
    button.addEventListener("click", () => select(query, button));
    return el("li", {}, button);
  }));
  const wanted = new URLSearchParams(location.search).get("named");
  const match = wanted && list.querySelector(`button[data-query="${CSS.escape(wanted)}"]`);
  if (match) match.click();
}

document.addEventListener("DOMContentLoaded", () => {
  $("run").addEventListener("click", run);
  $("editor").addEventListener("input", markEdited);
  $("editor").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  $("params").addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  loadCatalogue();
});
