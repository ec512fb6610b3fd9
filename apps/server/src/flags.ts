import { DistccServerError } from "./errors.js";
import { OPTION_SPECS, describeKind, type OptionSpec, type Settings } from "./settings.js";

function findSpec(name: string): OptionSpec | undefined {
  return OPTION_SPECS.find((s) => s.flag === name || s.short === name || s.aliases?.includes(name));
}

/**
 * Parses distccd-style flags into the settings they set. Accepts `--flag VALUE`, `--flag=VALUE`,
 * `-j4` and `-j 4`. distccd's `--verbose` (= --log-level debug) and `--no-fork` (meaningless here)
 * are accepted too. Throws DistccServerError DISTCC_SERVER_ERR_CONFIG naming the flag.
 */
export function parseFlags(argv: readonly string[]): Partial<Settings> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    let name = word;
    let inline: string | undefined;
    if (word.startsWith("--") && word.includes("=")) {
      name = word.slice(0, word.indexOf("="));
      inline = word.slice(word.indexOf("=") + 1);
    } else if (/^-[a-zA-Z]./.test(word) && !word.startsWith("--")) {
      name = word.slice(0, 2);
      inline = word.slice(2);
    }
    if (name === "--verbose" || name === "-v") {
      out.logLevel = "debug";
      continue;
    }
    if (name === "--no-fork" || name === "--no-fifo") continue;
    // distcc's ssh mode runs `distccd --inetd --enable-tcp-insecure`: accepted, but the whitelist
    // stays on (we never run an unknown program; see docs/server.md).
    if (name === "--enable-tcp-insecure" || name === "--make-me-a-botnet") {
      out.insecureRequested = true;
      continue;
    }
    const spec = findSpec(name);
    if (!spec) {
      throw new DistccServerError("DISTCC_SERVER_ERR_CONFIG", `unknown option ${JSON.stringify(word)}; see --help`);
    }
    if (spec.kind.type === "bool") {
      if (inline !== undefined) {
        throw new DistccServerError("DISTCC_SERVER_ERR_CONFIG", `${spec.flag} takes no value (got ${JSON.stringify(word)})`);
      }
      out[spec.key] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) {
        throw new DistccServerError("DISTCC_SERVER_ERR_CONFIG", `${spec.flag} needs a value: ${describeKind(spec.kind)}`);
      }
      value = argv[++i] as string;
    }
    out[spec.key] = convertFlagValue(spec, value, out[spec.key]);
  }
  return out as Partial<Settings>;
}

function convertFlagValue(spec: OptionSpec, value: string, previous: unknown): unknown {
  const fail = (): never => {
    throw new DistccServerError(
      "DISTCC_SERVER_ERR_CONFIG",
      `${spec.flag} ${JSON.stringify(value)}: expected ${describeKind(spec.kind)}${spec.arg ? ` (${spec.arg})` : ""}`,
    );
  };
  switch (spec.kind.type) {
    case "int": {
      if (!/^-?\d+$/.test(value)) return fail();
      const n = Number(value);
      if (n < spec.kind.min || n > spec.kind.max) return fail();
      return n;
    }
    case "enum":
      return spec.kind.values.includes(value) ? value : fail();
    case "list":
      if (value === "") return fail();
      return [...((previous as string[] | undefined) ?? []), value];
    default:
      return value === "" ? fail() : value;
  }
}
