// The folder table of docs/architecture.md, checked against the code: every
// folder that holds TypeScript has a row, every import between folders is
// one the row allows, and it goes through the folder's index.ts. A test, or a
// folder's testing.ts, may also use another folder's testing.ts helpers; a
// room may use the plumbing files of the folder it sits in when its row names
// that folder.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

interface Row {
  folder: string;
  /** Folders (relative to src/, or "test/..." and "bench") it may import; a trailing "/*" allows every subfolder. */
  allowed: string[];
  /** True for "`src/*` public faces": any src folder, through its index.ts. */
  anySrcFace: boolean;
}

function readTable(): Map<string, Row> {
  const text = readFileSync(join(root, "docs", "architecture.md"), "utf8");
  const rows = new Map<string, Row>();
  for (const line of text.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 5) continue;
    const folder = /^`([^`]+)`$/.exec(cells[1])?.[1];
    if (folder === undefined) continue;
    const imports = cells[3];
    const names = [...imports.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    rows.set(folder, {
      folder,
      anySrcFace: names.includes("src/*"),
      allowed: names
        .filter((n) => n !== "src/*")
        .map((n) => (n.startsWith("test/") || n === "bench" ? n : `src/${n}`)),
    });
  }
  return rows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^"']*?from\s+"(\.[^"]+)"|import\(\s*"(\.[^"]+)"\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    out.push(relative(root, resolve(root, dirname(file), spec)).replace(/\.js$/, ".ts"));
  }
  return out;
}

function allows(row: Row, folder: string): boolean {
  return row.allowed.some((a) =>
    a.endsWith("/*") ? folder.startsWith(a.slice(0, -1)) : folder === a,
  );
}

/** The problem with `file` importing `target`, or null when the table allows it. */
function problem(rows: Map<string, Row>, file: string, target: string): string | null {
  const from = dirname(file);
  const to = dirname(target);
  if (from === to) return null;
  const row = rows.get(from);
  if (row === undefined) return `${from} has no row in docs/architecture.md`;
  const base = target.slice(to.length + 1);
  const isTest = file.endsWith(".test.ts") || file.endsWith("/testing.ts");
  if (to.startsWith("src/") && row.anySrcFace) {
    return base === "index.ts" || base === "testing.ts"
      ? null
      : `${file} imports ${target}, past ${to}/index.ts`;
  }
  if (!allows(row, to)) return `${file} imports ${target}: ${from} may not import ${to}`;
  const enclosing = from.startsWith(`${to}/`);
  if (base === "index.ts" || enclosing || (isTest && base === "testing.ts")) return null;
  if (to.startsWith("test/") || to === "bench") return null;
  return `${file} imports ${target}, past ${to}/index.ts`;
}

test("every folder with TypeScript has a row in docs/architecture.md", () => {
  const rows = readTable();
  const folders = new Set(
    ["src", "test", "bench"].flatMap((d) => sourceFiles(d)).map((f) => dirname(f)),
  );
  const missing = [...folders].filter((f) => !rows.has(f)).sort();
  assert.deepEqual(missing, []);
  const stale = [...rows.keys()].filter(
    (f) => !f.endsWith("testdata") && ![...folders].some((g) => g === f),
  );
  assert.deepEqual(stale, [], "rows for folders that hold no TypeScript");
});

test("every import between folders is one docs/architecture.md allows, through index.ts", () => {
  const rows = readTable();
  const problems: string[] = [];
  for (const file of ["src", "test", "bench"].flatMap((d) => sourceFiles(d))) {
    for (const target of importsOf(file)) {
      const p = problem(rows, file, target);
      if (p !== null) problems.push(p);
    }
  }
  assert.deepEqual(problems, []);
});

test("the checker refuses what the table forbids", () => {
  const rows = new Map<string, Row>([
    ["src/a", { folder: "src/a", allowed: ["src/x"], anySrcFace: false }],
    ["src/a/room", { folder: "src/a/room", allowed: ["src/a"], anySrcFace: false }],
    ["test/t", { folder: "test/t", allowed: [], anySrcFace: true }],
  ]);
  assert.equal(problem(rows, "src/a/f.ts", "src/x/index.ts"), null);
  assert.match(problem(rows, "src/a/f.ts", "src/x/clock.ts") ?? "", /past src\/x\/index.ts/);
  assert.match(problem(rows, "src/a/f.ts", "src/b/index.ts") ?? "", /may not import src\/b/);
  assert.equal(problem(rows, "src/a/room/f.ts", "src/a/http.ts"), null);
  assert.equal(problem(rows, "src/a/f.test.ts", "src/x/testing.ts"), null);
  assert.match(problem(rows, "src/a/f.ts", "src/x/testing.ts") ?? "", /past/);
  assert.match(problem(rows, "test/t/f.ts", "src/a/http.ts") ?? "", /past src\/a\/index.ts/);
  assert.match(problem(rows, "src/c/f.ts", "src/x/index.ts") ?? "", /no row/);
});
