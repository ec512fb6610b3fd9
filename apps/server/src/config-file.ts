import { readFileSync } from "node:fs";
import { z } from "zod";
import { DistccServerError } from "./errors.js";
import { SERVER_DEFAULTS } from "./defaults.js";
import { optionHelp } from "./help.js";
import { OPTION_SPECS, describeKind, type OptionSpec, type Settings } from "./settings.js";

function schemaFor(spec: OptionSpec): z.ZodType {
  const kind = spec.kind;
  switch (kind.type) {
    case "int":
      return z.int().min(kind.min).max(kind.max);
    case "string":
      return z.string().min(1);
    case "list":
      return z.array(z.string().min(1));
    case "bool":
      return z.boolean();
    case "enum":
      return z.enum(kind.values as [string, ...string[]]);
  }
}

const configSpecs = OPTION_SPECS.filter((s) => !s.flagOnly);

/**
 * Each key's default (SERVER_DEFAULTS) and help, for `configJsonSchema`. A registry of this module's
 * own rather than zod's global one: embedding the server adds nothing to the embedder's zod.
 */
const configMetadata = z.registry<{ description: string; default?: unknown }>();

function keySchema(spec: OptionSpec): z.ZodType {
  const schema = schemaFor(spec);
  const value = (SERVER_DEFAULTS as Readonly<Record<string, unknown>>)[spec.key];
  configMetadata.add(schema, { description: optionHelp(spec), ...(value === undefined ? {} : { default: value }) });
  return schema;
}

/**
 * The config file's schema: the same keys as the settings (camelCase), all optional, nothing else.
 * A key left out takes its default later (`resolveSettings`), so parsing returns only what the file says.
 */
export const configFileSchema = z.strictObject(
  Object.fromEntries(configSpecs.map((s) => [s.key, keySchema(s).optional()])),
);

/** The config file as JSON Schema (draft 2020-12), each key with its help and default: for editors and docs. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configFileSchema, { metadata: configMetadata }) as Record<string, unknown>;
}

/**
 * Checks a parsed JSON value as a config file. Every error names the key and what is allowed,
 * e.g. `config.json: "jobs" must be an integer from 1 to 1024 (got 0)`.
 */
export function parseConfig(value: unknown, source = "config file"): Partial<Settings> {
  const result = configFileSchema.safeParse(value);
  if (result.success) return result.data as Partial<Settings>;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      const known = configSpecs.map((s) => s.key).join(", ");
      return `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; allowed keys: ${known}`;
    }
    const key = issue.path[0];
    if (key === undefined) return 'the file must hold one JSON object, e.g. {"jobs": 4, "allow": ["192.168.1.0/24"]}';
    const spec = configSpecs.find((s) => s.key === key);
    const got = (value as Record<string, unknown>)[String(key)];
    const where = issue.path.length > 1 ? `${String(key)}[${String(issue.path[1])}]` : String(key);
    return `"${where}" must be ${spec ? describeKind(spec.kind) : "valid"} (got ${JSON.stringify(got)})`;
  });
  throw new DistccServerError("DISTCC_SERVER_ERR_CONFIG", `${source}: ${problems.join("; ")}`);
}

/** Reads and checks a JSON config file. */
export function loadConfigFile(path: string): Partial<Settings> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new DistccServerError(
      "DISTCC_SERVER_ERR_CONFIG",
      `cannot read config file ${path}: ${(err as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DistccServerError("DISTCC_SERVER_ERR_CONFIG", `${path}: not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(json, path);
}
