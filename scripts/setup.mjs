// Makes a checkout runnable: installs dependencies when the lockfile changed
// since the last install, then compiles the TypeScript. Plain Node, no deps,
// so it works on a machine that has only Node.js and npm.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const stampPath = join(root, "node_modules", ".m3ts-install-stamp");

function lockDigest() {
  const lock = readFileSync(join(root, "package-lock.json"));
  return createHash("sha256").update(lock).digest("hex");
}

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: "inherit" });
}

const digest = lockDigest();
const installed = existsSync(stampPath) ? readFileSync(stampPath, "utf8") : "";
if (installed !== digest) {
  console.error("setup: installing dependencies (npm install, pinned by package-lock.json)");
  run(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error"]);
  writeFileSync(stampPath, digest);
}

// A clean build, so that no compiled file outlives its deleted source.
rmSync(join(root, "dist"), { recursive: true, force: true });
run(process.execPath, [
  join(root, "node_modules", "typescript", "bin", "tsc"),
  "-p",
  "tsconfig.json",
]);
