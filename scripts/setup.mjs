// Makes a checkout runnable: installs dependencies when package.json or the
// lockfile changed since the last install, then compiles the TypeScript.
// Plain Node, no deps, so it works on a machine that has only Node.js and npm.
//
// The install is `npm ci` whenever package-lock.json agrees with package.json:
// it installs exactly what the lockfile pins and never rewrites it, so a fresh
// clone stays clean whatever npm version runs it. Only when the two disagree
// (package.json edited by hand, lockfile missing) does it fall back to
// `npm install`, which updates the lockfile; that change is then the
// developer's to commit.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const manifestPath = join(root, "package.json");
const lockPath = join(root, "package-lock.json");
// Inside node_modules, so that `npm ci` (which empties node_modules) takes the
// stamp with it and an interrupted install is tried again on the next run.
const stampPath = join(root, "node_modules", ".m3ts-install-stamp");

/** The dependency fields npm records for the root package in the lockfile. */
const DEPENDENCY_FIELDS = [
  "dependencies",
  "devDependencies",
  "optionalDependencies",
  "peerDependencies",
];

/** A digest of what an install depends on: package.json and the lockfile. */
function inputsDigest() {
  const hash = createHash("sha256").update(readFileSync(manifestPath));
  if (existsSync(lockPath)) hash.update(readFileSync(lockPath));
  return hash.digest("hex");
}

/**
 * Why the lockfile cannot drive `npm ci`, or null when its root entry
 * declares exactly the dependency ranges package.json declares.
 */
function lockfileMismatch() {
  if (!existsSync(lockPath)) return "package-lock.json is missing";
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  const lock = JSON.parse(readFileSync(lockPath, "utf8"));
  const locked = lock.packages?.[""];
  if (locked === undefined) {
    return `package-lock.json (lockfileVersion ${lock.lockfileVersion}) has no root package entry`;
  }
  for (const field of DEPENDENCY_FIELDS) {
    const want = manifest[field] ?? {};
    const have = locked[field] ?? {};
    for (const name of new Set([...Object.keys(want), ...Object.keys(have)])) {
      if (want[name] !== have[name]) {
        const show = (range) => (range === undefined ? "absent" : JSON.stringify(range));
        return `${field}.${name} is ${show(want[name])} in package.json but ${show(have[name])} in package-lock.json`;
      }
    }
  }
  return null;
}

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: "inherit" });
}

const quiet = ["--no-audit", "--no-fund", "--loglevel=error"];
const installed = existsSync(stampPath) ? readFileSync(stampPath, "utf8") : "";
if (installed !== inputsDigest()) {
  const mismatch = lockfileMismatch();
  if (mismatch === null) {
    console.error(
      "setup: installing dependencies (npm ci, exactly as package-lock.json pins them)",
    );
    run(npm, ["ci", ...quiet]);
  } else {
    console.error(
      `setup: package-lock.json is out of sync with package.json (${mismatch}); ` +
        "running npm install, which updates package-lock.json: review and commit that change",
    );
    run(npm, ["install", ...quiet]);
  }
  // Digest taken after the install: `npm install` may have rewritten the lockfile.
  writeFileSync(stampPath, inputsDigest());
}

// A clean build, so that no compiled file outlives its deleted source.
rmSync(join(root, "dist"), { recursive: true, force: true });
run(process.execPath, [
  join(root, "node_modules", "typescript", "bin", "tsc"),
  "-p",
  "tsconfig.json",
]);
