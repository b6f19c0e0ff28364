// The commands of `m3ts`, their operands and flags: one table drives the
// parsing of a command's arguments, its usage line and its --help text.
// Nothing here imports a command's code, so help never starts anything.

/** A flag of a command; one with a `value` placeholder takes the next argument (or `=value`). */
export interface Flag {
  readonly name: `--${string}`;
  readonly short?: `-${string}`;
  readonly value?: string;
  readonly doc: string;
}

/** A subcommand: what it does, what it takes. */
export interface Command {
  /** One line for the overview of every command. */
  readonly summary: string;
  /** What `m3ts <command> --help` says under the usage line. */
  readonly about: string;
  /** Operands after the flags, as the usage line shows them; `[NAME]` is optional. */
  readonly operands: readonly string[];
  readonly flags: readonly Flag[];
}

const HELP = { name: "--help", short: "-h", doc: "print this help and exit" } as const;

/** Every command, in the order the overview lists them. */
export const COMMANDS = {
  start: {
    summary: "run the all-in-one node: database and coordinator in one process",
    about:
      "Runs the database, the coordinator (HTTP API) and the carbon listener in one process\n" +
      "until SIGTERM or SIGINT, which finish the requests in flight and flush the commit log.",
    operands: [],
    flags: [
      {
        name: "--config",
        short: "-f",
        value: "FILE",
        doc: "YAML configuration; without one every key takes its default",
      },
      {
        name: "--data-dir",
        value: "DIR",
        doc: "data directory, in place of the configuration's dataDir (default ./data)",
      },
      HELP,
    ],
  },
  dbnode: {
    summary: "run a storage node of a cluster: its shards and namespaces come from etcd",
    about:
      "Runs one database node of a cluster: it waits for a placement in etcd that holds its\n" +
      "dbnode.hostID, opens its data directory with the placement's shard count, serves the\n" +
      "node RPC (gRPC, dbnode.listenAddress) and /health, /ready, /metrics\n" +
      "(dbnode.httpListenAddress), follows the namespaces in etcd, and marks its shards\n" +
      "Available once bootstrapped. SIGTERM or SIGINT stops it as `start` stops.",
    operands: [],
    flags: [
      {
        name: "--config",
        short: "-f",
        value: "FILE",
        doc: "YAML configuration (dbnode.hostID and cluster.etcd at least)",
      },
      {
        name: "--data-dir",
        value: "DIR",
        doc: "data directory, in place of the configuration's dataDir (default ./data)",
      },
      HELP,
    ],
  },
  coordinator: {
    summary: "run a cluster's coordinator: the HTTP API over the dbnodes, no local storage",
    about:
      "Runs the coordinator (ingest, remote read, the query API, admin API, carbon) of a\n" +
      "cluster: it reads the placement and namespaces from etcd and writes to and reads\n" +
      "from the dbnodes over gRPC, at the configured consistency levels.\n" +
      "SIGTERM or SIGINT stops it as `start` stops.",
    operands: [],
    flags: [
      {
        name: "--config",
        short: "-f",
        value: "FILE",
        doc: "YAML configuration (cluster.etcd at least)",
      },
      HELP,
    ],
  },
  verify: {
    summary:
      "check every fileset volume and commit log under a data directory;\n" +
      "exits 1 if anything is damaged",
    about:
      "Checks the checksums of every fileset and index volume, every snapshot metadata file\n" +
      "and every commit log header under DIR; exits 1 if anything is damaged, 0 if not.",
    operands: ["DIR"],
    flags: [HELP],
  },
  version: {
    summary: "print the m3ts version",
    about: "Prints the version of m3ts.",
    operands: [],
    flags: [HELP],
  },
  help: {
    summary: "print this help, or a command's",
    about: "Prints the commands of m3ts, or the usage and flags of COMMAND.",
    operands: ["[COMMAND]"],
    flags: [HELP],
  },
} as const satisfies Record<string, Command>;

export type CommandName = keyof typeof COMMANDS;

/** The values of a command's flags that take one, by flag name. */
export type FlagValues<C extends Command> = {
  readonly [F in C["flags"][number] as F extends { value: string } ? F["name"] : never]?: string;
};

/** A command's arguments, parsed: help asked for, a usage error, or what to run with. */
export type ParsedArgs<C extends Command> =
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly problem: string }
  | { readonly kind: "run"; readonly flags: FlagValues<C>; readonly operands: readonly string[] };

/** Whether `name` is a command of the table. */
export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/**
 * Parses a command's arguments. --help (or -h) anywhere a flag may stand
 * wins over everything else; `--` ends the flags.
 */
export function parseArgs<C extends Command>(command: C, args: readonly string[]): ParsedArgs<C> {
  const flags: Record<string, string> = {};
  const operands: string[] = [];
  let problem: string | undefined;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      operands.push(arg);
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const flag = command.flags.find((f) => f.name === name || f.short === name);
    if (flag === undefined) {
      problem ??= `unknown argument ${JSON.stringify(arg)}`;
    } else if (flag.name === HELP.name) {
      help = true;
    } else if (flag.value === undefined) {
      if (eq > 0) problem ??= `${flag.name} takes no value`;
    } else if (eq > 0) {
      flags[flag.name] = arg.slice(eq + 1);
    } else if (i + 1 < args.length) {
      flags[flag.name] = args[++i];
    } else {
      problem ??= `${flag.name} needs a value (${flag.value})`;
    }
  }
  if (help) return { kind: "help" };
  const required = command.operands.filter((o) => !o.startsWith("["));
  if (problem === undefined && operands.length < required.length) {
    problem = `missing ${required.slice(operands.length).join(" ")}`;
  }
  if (problem === undefined && operands.length > command.operands.length) {
    problem = `unexpected argument ${JSON.stringify(operands[command.operands.length])}`;
  }
  if (problem !== undefined) return { kind: "error", problem };
  // Only flags of this command, with values, were stored under their names.
  return { kind: "run", flags: flags as FlagValues<C>, operands };
}

/** `Usage: m3ts start [--config FILE] [--data-dir DIR]`. */
export function usageLine(name: CommandName): string {
  const command: Command = COMMANDS[name];
  const flags = command.flags
    .filter((f) => f.value !== undefined)
    .map((f) => `[${f.name} ${f.value}]`);
  return ["Usage: m3ts", name, ...flags, ...command.operands].join(" ");
}

/** What `m3ts <command> --help` prints: the usage line, what it does, one line per flag. */
export function commandHelp(name: CommandName): string {
  const command: Command = COMMANDS[name];
  const left = command.flags.map(
    (f) =>
      `${f.short === undefined ? "    " : `${f.short}, `}${f.name}${f.value === undefined ? "" : ` ${f.value}`}`,
  );
  const width = Math.max(...left.map((l) => l.length));
  const lines = command.flags.map((f, i) => `  ${left[i].padEnd(width)}  ${f.doc}`);
  return `${usageLine(name)}\n\n${command.about}\n\nFlags:\n${lines.join("\n")}`;
}

/** What `m3ts help` prints: every command with its summary. */
export function overview(): string {
  const entries = Object.entries(COMMANDS).map(([name, c]: [string, Command]) => ({
    left: [name, ...c.operands].join(" "),
    summary: c.summary.split("\n"),
  }));
  const width = Math.max(...entries.map((e) => e.left.length));
  const lines = entries.flatMap((e) =>
    e.summary.map((s, i) => `  ${(i === 0 ? e.left : "").padEnd(width)}  ${s}`),
  );
  return [
    "Usage: m3ts <command> [flags]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `m3ts <command> --help` for a command's flags. m3ts is the M3 metrics platform",
    "in TypeScript; the configuration reference is docs/reference/configuration.md.",
  ].join("\n");
}
