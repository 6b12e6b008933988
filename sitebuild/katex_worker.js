// Long-lived KaTeX rendering worker used by sitebuild/katex.py at docs build time.
//
// Usage: node katex_worker.js /abs/path/to/node_modules/katex
//
// Protocol (one JSON document per line, UTF-8):
//   request  {"id": N, "formulas": [[tex, displayMode], ...], "options": {...}}
//   response {"id": N, "results": [{"html": "..."} | {"error": "..."}, ...]}
// Each result may also carry "warnings": [...] (KaTeX "strict" diagnostics,
// which are collected here instead of being printed, so the Python side can
// report them as MkDocs warnings).
// The first line written is a handshake: {"ready": true, "version": "x.y.z"}.
"use strict";

const katexDir = process.argv[2];
if (!katexDir) {
  process.stderr.write("katex_worker.js: missing path to the katex package\n");
  process.exit(2);
}
const katex = require(katexDir);
const readline = require("readline");

function renderOne(tex, displayMode, extra) {
  const warnings = [];
  try {
    const html = katex.renderToString(tex, {
      ...extra,
      displayMode: Boolean(displayMode),
      throwOnError: true,
      output: "htmlAndMathml",
      strict: (errorCode, errorMsg) => {
        warnings.push(`${errorMsg} [${errorCode}]`);
        return "ignore";
      },
    });
    return warnings.length ? { html, warnings } : { html };
  } catch (err) {
    const message = err && err.message ? err.message : String(err);
    return { error: message };
  }
}

function send(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

send({ ready: true, version: katex.version });

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let request;
  try {
    request = JSON.parse(line);
  } catch (err) {
    send({ id: null, fatal: `invalid request: ${err.message}` });
    return;
  }
  const extra = request.options || {};
  const results = (request.formulas || []).map(([tex, display]) => {
    // Fresh copy per formula: KaTeX mutates the macros object (\gdef etc.).
    const opts = { ...extra };
    if (extra.macros) opts.macros = { ...extra.macros };
    return renderOne(tex, display, opts);
  });
  send({ id: request.id, results });
});
rl.on("close", () => process.exit(0));
