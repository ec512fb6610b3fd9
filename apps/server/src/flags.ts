import { DistccServerError } from "./errors.js";
import { NO_OP_OPTIONS, REFUSED_OPTIONS, SHORTHAND_OPTIONS } from "./distccd-options.js";
import { OPTION_SPECS, describeKind, type OptionSpec, type Settings } from "./settings.js";

function findSpec(name: string): OptionSpec | undefined {
  return OPTION_SPECS.find((s) => s.flag === name || s.short === name || s.aliases?.includes(name));
}

function takesNoValue(flag: string, word: string): DistccServerError {
  return new DistccServerError("DISTCC_SERVER_ERR_CONFIG", `${flag} takes no value (got ${JSON.stringify(word)})`);
}

/**
 * Parses distccd-style flags into the settings they set. Accepts `--flag VALUE`, `--flag=VALUE`,
 * `-j4` and `-j 4`, and distccd's shorthands and no-op switches (distccd-options.ts). Throws
 * DistccServerError naming the flag: DISTCC_SERVER_ERR_CONFIG for a bad flag or value,
 * DISTCC_SERVER_ERR_UNSUPPORTED (with why) for the distccd options refused here.
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
    const shorthand = SHORTHAND_OPTIONS[name];
    if (shorthand) {
      if (inline !== undefined) throw takesNoValue(name, word);
      Object.assign(out, shorthand);
      continue;
    }
    if (NO_OP_OPTIONS.has(name)) {
      if (inline !== undefined) throw takesNoValue(name, word);
      continue;
    }
    const refused = REFUSED_OPTIONS[name];
    if (refused) {
      throw new DistccServerError("DISTCC_SERVER_ERR_UNSUPPORTED", `${name} is not supported: ${refused.why}`);
    }
    const spec = findSpec(name);
    if (!spec) {
      throw new DistccServerError("DISTCC_SERVER_ERR_CONFIG", `unknown option ${JSON.stringify(word)}; see --help`);
    }
    if (spec.kind.type === "bool") {
      if (inline !== undefined) throw takesNoValue(spec.flag, word);
      out[spec.key] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) {
        throw new DistccServerError(
          "DISTCC_SERVER_ERR_CONFIG",
          `${spec.flag} needs a value: ${describeKind(spec.kind)}`,
        );
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
