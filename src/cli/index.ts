// The `m3ts` command line: finds the subcommand in the command table, parses
// its arguments there (answering --help before any command's code is
// loaded), and runs it.
import { readFileSync } from "node:fs";
import {
  COMMANDS,
  type CommandName,
  commandHelp,
  isCommandName,
  overview,
  type ParsedArgs,
  parseArgs,
  usageLine,
} from "./commands.js";

/** The version of the installed m3ts package. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}

type Out = (line: string) => void;
type Run<N extends CommandName> = (
  args: Extract<ParsedArgs<(typeof COMMANDS)[N]>, { kind: "run" }>,
  out: Out,
) => Promise<number>;

// Each command's code is imported only when it runs.
const RUN: { [N in CommandName]: Run<N> } = {
  start: async (args, out) => (await import("./start.js")).start(args.flags, out),
  dbnode: async (args, out) => (await import("./dbnode.js")).dbnode(args.flags, out),
  coordinator: async (args, out) => (await import("./coordinator.js")).coordinator(args.flags, out),
  verify: async (args, out) => (await import("./verify.js")).verify(args.operands[0], out),
  version: async (_, out) => {
    out(`m3ts ${version()}`);
    return 0;
  },
  help: async (args, out) => {
    const [topic] = args.operands;
    if (topic === undefined) {
      out(`m3ts ${version()}\n\n${overview()}`);
      return 0;
    }
    if (!isCommandName(topic)) return unknownCommand(topic, [], out);
    out(commandHelp(topic));
    return 0;
  },
};

/** Runs the command line and returns the process exit code. */
export async function main(args: readonly string[], out: Out = console.log): Promise<number> {
  const [first = "help", ...rest] = args;
  const name = first === "--version" || first === "-v" ? "version" : first;
  if (name === "--help" || name === "-h")
    return RUN.help({ kind: "run", flags: {}, operands: [] }, out);
  if (!isCommandName(name)) return unknownCommand(name, rest, out);
  return run(name, rest, out);
}

async function run<N extends CommandName>(name: N, args: readonly string[], out: Out) {
  const parsed = parseArgs<(typeof COMMANDS)[N]>(COMMANDS[name], args);
  switch (parsed.kind) {
    case "help":
      out(commandHelp(name));
      return 0;
    case "error":
      out(`m3ts ${name}: ${parsed.problem}\n${usageLine(name)}`);
      return 2;
    case "run":
      return RUN[name](parsed, out);
  }
}

function unknownCommand(name: string, rest: readonly string[], out: Out): number {
  out(
    `m3ts: unknown command "${name}"${rest.length > 0 ? ` (args: ${rest.join(" ")})` : ""}\n\n${overview()}`,
  );
  return 2;
}
