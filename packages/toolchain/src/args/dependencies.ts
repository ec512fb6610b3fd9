// Where the dependency (.d) file goes and which target it names, as a LOCAL gcc would write it.
//
// distcc 3.4 strips `-o` from its local cpp command, so `gcc -MD -c x.c -o obj/x.o` leaves `./x.d`
// with target `x.o` (its documented BUG, spec 9.5). gcc's driver derives both from `-o`
// (`%{MD:-MD %{!o:%b.d}%{o*:%.d%*}}` and `%{!MT:%{!MQ:%{MD|MMD:%{o*:-MQ %*}}}}` in its specs);
// we compute the same and give the options that make the `-E` run write that very file.
import { baseName } from "./language.js";

export interface DependencyPlan {
  /** A .d file will be written (by `-MD`/`-MMD`, `-Wp,-MD,FILE`, or `DEPENDENCIES_OUTPUT`). */
  wanted: boolean;
  /** Path of the .d file, relative to the compile's working directory unless absolute. */
  depFile?: string;
  /** The make target(s) written in the .d file, already make-quoted where gcc quotes. */
  target?: string;
  /** Options to ADD to the local preprocessor command so it writes `depFile` with `target`.
   * `preprocessorArgv()` already includes them. */
  cppArgs: string[];
  /** What asked for the .d file. */
  source?: "options" | "wp-option" | "environment";
}

export interface DependencyContext {
  input: string;
  output: string;
  outputGiven: boolean;
  env?: Record<string, string | undefined>;
}

/** Make-quote a target the way `-MQ` does (libcpp `munge`). */
export function quoteMakeTarget(target: string): string {
  let out = "";
  for (let p = 0; p < target.length; p++) {
    const ch = target[p]!;
    if (ch === " " || ch === "\t") {
      for (let q = p - 1; q >= 0 && target[q] === "\\"; q--) out += "\\";
      out += "\\";
    } else if (ch === "$") {
      out += "$";
    } else if (ch === "#") {
      out += "\\";
    }
    out += ch;
  }
  return out;
}

/** `obj/x.o` -> `obj/x.d`; the suffix is the last `.` in the last path component (gcc `%.d`). */
export function replaceSuffix(path: string, suffix: string): string {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  return (dot > slash ? path.slice(0, dot) : path) + suffix;
}

/** `src/x.c` -> `x` + suffix (gcc `%b`, libcpp's default target). */
function baseWithSuffix(input: string, suffix: string): string {
  return replaceSuffix(baseName(input), suffix);
}

interface DependencyOptions {
  driverMD: boolean;
  wpMD: boolean;
  wpFile?: string;
  mf?: string;
  targets: string[];
  dashO?: string;
}

function collect(argv: readonly string[]): DependencyOptions {
  const found: DependencyOptions = { driverMD: false, wpMD: false, targets: [] };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.charCodeAt(0) !== 45) continue;
    if (a === "-MD" || a === "-MMD") found.driverMD = true;
    else if (a === "-MF") found.mf = argv[++i];
    else if (a.startsWith("-MF")) found.mf = a.slice(3);
    else if (a === "-MT") pushDefined(found.targets, argv[++i]);
    else if (a.startsWith("-MT")) found.targets.push(a.slice(3));
    else if (a === "-MQ") pushDefined(found.targets, quoteOrUndefined(argv[++i]));
    else if (a.startsWith("-MQ")) found.targets.push(quoteMakeTarget(a.slice(3)));
    else if (a === "-o") found.dashO = argv[++i];
    else if (a.startsWith("-o")) found.dashO = a.slice(2);
    else if (a.startsWith("-Wp,")) collectWp(a.slice(4).split(","), found);
  }
  return found;
}

// Inside -Wp, the words go straight to cc1: `-MD FILE` there is cc1's own form, the driver never
// sees it and so adds no -MQ (the target stays the input's basename .o, as gcc really does).
function collectWp(parts: string[], found: DependencyOptions): void {
  for (let p = 0; p < parts.length; p++) {
    const opt = parts[p]!;
    if (opt === "-MD" || opt === "-MMD") {
      found.wpMD = true;
      if (p + 1 < parts.length) found.wpFile = parts[++p];
    } else if (opt === "-MF") found.mf = parts[++p];
    else if (opt.startsWith("-MF")) found.mf = opt.slice(3);
    else if (opt === "-MT") pushDefined(found.targets, parts[++p]);
    else if (opt.startsWith("-MT")) found.targets.push(opt.slice(3));
    else if (opt === "-MQ") pushDefined(found.targets, quoteOrUndefined(parts[++p]));
    else if (opt.startsWith("-MQ")) found.targets.push(quoteMakeTarget(opt.slice(3)));
  }
}

function pushDefined(list: string[], value: string | undefined): void {
  if (value !== undefined) list.push(value);
}

function quoteOrUndefined(value: string | undefined): string | undefined {
  return value === undefined ? undefined : quoteMakeTarget(value);
}

/**
 * The dependency plan for a distributable command (argv after `@file` expansion; `-Wp,` may still
 * be there, which matters: gcc treats `-Wp,-MD,f` differently from `-MD -MF f`).
 */
export function planDependencies(argv: readonly string[], ctx: DependencyContext): DependencyPlan {
  const o = collect(argv);
  const defaultTarget = quoteMakeTarget(baseWithSuffix(ctx.input, ".o"));
  if (o.driverMD) {
    const depFile =
      o.mf ?? o.wpFile ?? (o.dashO !== undefined ? replaceSuffix(o.dashO, ".d") : baseWithSuffix(ctx.input, ".d"));
    const cppArgs: string[] = [];
    if (o.dashO !== undefined && o.mf === undefined && o.wpFile === undefined) cppArgs.push("-MF", depFile);
    if (o.dashO !== undefined && o.targets.length === 0) cppArgs.push("-MQ", o.dashO);
    const target =
      o.targets.length > 0 ? o.targets.join(" ") : o.dashO !== undefined ? quoteMakeTarget(o.dashO) : defaultTarget;
    return { wanted: true, depFile, target, cppArgs, source: "options" };
  }
  if (o.wpMD) {
    const plan: DependencyPlan = {
      wanted: true,
      target: o.targets.length > 0 ? o.targets.join(" ") : defaultTarget,
      cppArgs: [],
      source: "wp-option",
    };
    const depFile = o.mf ?? o.wpFile;
    if (depFile !== undefined) plan.depFile = depFile;
    return plan;
  }
  const spec = ctx.env?.DEPENDENCIES_OUTPUT ?? ctx.env?.SUNPRO_DEPENDENCIES;
  if (spec !== undefined) {
    // "FILE" or "FILE TARGET" (gcc c-opts.c: split at the first space; the target is not quoted).
    const space = spec.indexOf(" ");
    return {
      wanted: true,
      depFile: space < 0 ? spec : spec.slice(0, space),
      target: space < 0 ? defaultTarget : spec.slice(space + 1),
      cppArgs: [],
      source: "environment",
    };
  }
  return { wanted: false, cppArgs: [] };
}
