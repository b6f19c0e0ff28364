// The whole test suite: lint and format check, then every compiled test file
// under node:test. Fails when any test fails or when no test ran at all.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  return r.status ?? 1;
}

const biome = join(root, "node_modules", "@biomejs", "biome", "bin", "biome");
if (run(process.execPath, [biome, "check", "."]) !== 0) {
  console.error("test: lint/format check failed (run `npm run format` to fix formatting)");
  process.exit(1);
}

const resultsDir = join(root, ".test-results");
mkdirSync(resultsDir, { recursive: true });
const tap = join(resultsDir, "results.tap");
rmSync(tap, { force: true });
// Test files are named *.test.js; they are listed explicitly because Node's
// directory search would also run every helper module under a test/ folder.
const testFiles = ["src", "test", "bench"]
  .map((d) => join(root, "dist", d))
  .filter((d) => existsSync(d))
  .flatMap((d) =>
    readdirSync(d, { recursive: true })
      .filter((f) => String(f).endsWith(".test.js"))
      .map((f) => join(d, String(f))),
  )
  .sort();
const status = run(process.execPath, [
  "--test",
  "--test-reporter=spec",
  "--test-reporter-destination=stdout",
  "--test-reporter=tap",
  `--test-reporter-destination=${tap}`,
  ...testFiles,
]);

const summary = existsSync(tap) ? readFileSync(tap, "utf8") : "";
const count = (name) => Number(summary.match(new RegExp(`^# ${name} (\\d+)$`, "m"))?.[1] ?? "0");
const passed = count("pass");
const failed = count("fail");
const tests = count("tests");
console.log(`${passed} passed, ${failed} failed`);
if (tests === 0) {
  console.error("test: no test ran");
  process.exit(1);
}
process.exit(status !== 0 || failed > 0 ? 1 : 0);
