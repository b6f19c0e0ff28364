// The `m3ts` command line: parses the subcommand and runs it.
import { readFileSync } from "node:fs";

const USAGE = `Usage: m3ts <command>

Commands:
  start       run the all-in-one node: database and coordinator in one process
              (--config FILE for a YAML configuration, --data-dir DIR, default ./data)
  verify DIR  check every fileset volume and commit log under a data directory;
              exits 1 if anything is damaged
  version     print the m3ts version
  help        print this help

m3ts is the M3 metrics platform in TypeScript. The configuration reference is
docs/reference/configuration.md.`;

/** The version of the installed m3ts package. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}

/** Runs the command line and returns the process exit code. */
export async function main(
  args: readonly string[],
  out: (line: string) => void = console.log,
): Promise<number> {
  const [command = "help", ...rest] = args;
  switch (command) {
    case "version":
    case "--version":
    case "-v":
      out(`m3ts ${version()}`);
      return 0;
    case "start": {
      const { start } = await import("./start.js");
      return start(rest, out);
    }
    case "verify": {
      const { verify } = await import("./verify.js");
      return verify(rest, out);
    }
    case "help":
    case "--help":
    case "-h":
      out(`m3ts ${version()}\n\n${USAGE}`);
      return 0;
    default:
      out(
        `m3ts: unknown command "${command}"${rest.length > 0 ? ` (args: ${rest.join(" ")})` : ""}\n\n${USAGE}`,
      );
      return 2;
  }
}
