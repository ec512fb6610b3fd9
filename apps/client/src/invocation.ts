import { accessSync, constants, realpathSync } from "node:fs";
import { basename, delimiter, dirname, isAbsolute, resolve } from "node:path";
import { isLookupMiss } from "./errno.js";

/** Client commands of spec 9.1 plus ours (`links`, `agent`). */
export type ClientCommand =
  | "help"
  | "version"
  | "show-hosts"
  | "jobs"
  | "scan-includes"
  | "links"
  | "launcher"
  | "agent"
  | "doctor"
  | "mon"
  | "summary";

export type Invocation =
  | { kind: "command"; command: ClientCommand; args: string[] }
  | {
      kind: "compile";
      /** argv[0] for the compiler as the user named it (`gcc`, `/usr/bin/gcc`, `cc` for implicit). */
      compilerName: string;
      /** The arguments after the compiler. */
      args: string[];
      masquerade: boolean;
      /** PATH to run the compiler with (cut after the masquerade directory). */
      path: string;
      pathWasCut: boolean;
    };

const COMMANDS: Record<string, ClientCommand> = {
  "--help": "help",
  "--version": "version",
  "--show-hosts": "show-hosts",
  "-j": "jobs",
  "--scan-includes": "scan-includes",
  links: "links",
  launcher: "launcher",
  agent: "agent",
  doctor: "doctor",
  mon: "mon",
  summary: "summary",
};

const IMPLICIT_EXTENSIONS = new Set([
  ".c",
  ".cc",
  ".cpp",
  ".cxx",
  ".cp",
  ".c++",
  ".C",
  ".i",
  ".ii",
  ".m",
  ".mm",
  ".mi",
  ".mii",
  ".M",
  ".o",
  ".s",
  ".S",
]);

function extensionOf(arg: string): string {
  const dot = arg.lastIndexOf(".");
  return dot > arg.lastIndexOf("/") ? arg.slice(dot) : "";
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch (err) {
    if (isLookupMiss(err)) return false;
    throw err;
  }
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch (err) {
    if (isLookupMiss(err)) return path; // compared as written
    throw err;
  }
}

/** Splits argv into a client command or a compile, with distcc's three forms (spec 9.1). */
export function classifyInvocation(argv: string[], env: Record<string, string | undefined>, cwd: string): Invocation {
  const argv0 = argv[0] ?? "distcc-client";
  const name = basename(argv0);
  const path = env.PATH ?? "/usr/bin:/bin";
  if (name.includes("distcc")) {
    const first = argv[1];
    const command = first === undefined ? "help" : COMMANDS[first];
    if (command) return { kind: "command", command, args: argv.slice(2) };
    if (first!.startsWith("-") || IMPLICIT_EXTENSIONS.has(extensionOf(first!))) {
      return { kind: "compile", compilerName: "cc", args: argv.slice(1), masquerade: false, path, pathWasCut: false };
    }
    return { kind: "compile", compilerName: first!, args: argv.slice(2), masquerade: false, path, pathWasCut: false };
  }
  // Masquerade: PATH starts after the directory we were found in.
  const dirs = path.split(delimiter);
  let foundIn: string | undefined;
  if (argv0.includes("/")) foundIn = dirname(resolve(cwd, argv0));
  else foundIn = dirs.find((d) => isExecutable(resolve(cwd, d || ".", name)));
  let cut = path;
  let pathWasCut = false;
  if (foundIn !== undefined) {
    const real = realOrSelf(foundIn);
    const at = dirs.findIndex((d) => realOrSelf(resolve(cwd, d || ".")) === real);
    if (at >= 0) {
      cut = dirs.slice(at + 1).join(delimiter);
      pathWasCut = true;
    }
  }
  return { kind: "compile", compilerName: name, args: argv.slice(1), masquerade: true, path: cut, pathWasCut };
}

/**
 * Finds the compiler to run: an absolute or relative path as given, else the first executable of that
 * name on `path` that is not this client itself (its realpath is in `selfPaths`).
 */
export function findCompiler(name: string, path: string, cwd: string, selfPaths: string[]): string | undefined {
  if (name.includes("/")) return isAbsolute(name) ? name : resolve(cwd, name);
  const selves = new Set(selfPaths.filter(Boolean).map(realOrSelf));
  for (const dir of path.split(delimiter)) {
    const candidate = resolve(cwd, dir || ".", name);
    if (!isExecutable(candidate)) continue;
    if (selves.has(realOrSelf(candidate))) continue;
    return candidate;
  }
  return undefined;
}

/** The recursion guard of spec 9.1: level from _DISTCC_SAFEGUARD. */
export function safeguardLevel(env: Record<string, string | undefined>): number {
  const raw = env._DISTCC_SAFEGUARD;
  if (!raw) return 0;
  const n = Number.parseInt(raw, 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}
