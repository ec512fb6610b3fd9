// The captured client requests (vectors/captures/*.c2s.bin) and distccd's logs
// (vectors/logs/*.server.txt): our client argv must equal every ARGV the real client sent, and our
// server rewrite must equal every command line distccd executed.
import { existsSync, readFileSync } from "node:fs";
import { vectorPath } from "@x/testkit";
import { describe, expect, it } from "vitest";
import { serverArgv } from "./commands.js";
import { qualifiedCompilerName } from "./compiler-name.js";
import { rewriteServerJob } from "./server-rewrite.js";
import { decideServerArgv, serverJobCommand } from "./server-policy.js";
import { canonicalWords, readDriverWords } from "./driver-words.js";
import { scanArgs, scanExpandedArgs } from "./scan.js";

interface ClientCase {
  case: string;
  kind: string;
  command: string[];
  env_extra: Record<string, string>;
}

const clientCases = (JSON.parse(readFileSync(vectorPath("cases.json"), "utf8")) as ClientCase[]).filter(
  (c) => c.kind === "client" && existsSync(vectorPath("captures", `${c.case}.c2s.bin`)),
);

/** DIST version and ARGV words of a captured request. */
function parseRequest(bytes: Buffer): { version: number; argv: string[]; cdir?: string } {
  const argv: string[] = [];
  let version = -1;
  let cdir: string | undefined;
  let off = 0;
  while (off + 12 <= bytes.length) {
    const name = bytes.toString("latin1", off, off + 4);
    const n = parseInt(bytes.toString("latin1", off + 4, off + 12), 16);
    off += 12;
    if (name === "DIST") version = n;
    else if (name === "ARGC" || name === "NFIL") continue;
    else {
      const body = bytes.subarray(off, off + n);
      off += n;
      if (name === "ARGV") argv.push(body.toString("utf8"));
      if (name === "CDIR") cdir = body.toString("utf8");
      if (name === "DOTI" || name === "NAME") break;
    }
  }
  return cdir === undefined ? { version, argv } : { version, argv, cdir };
}

/** The compiler words of the client command (`distcc-pump distcc gcc …`, `distcc gcc …`, masquerade `gcc …`). */
function compilerArgv(command: string[]): string[] {
  let words = command;
  if (words[0] === "distcc-pump") words = words.slice(1);
  if (words[0] === "distcc") words = words.slice(1);
  if (words[0]!.startsWith("-")) words = ["cc", ...words];
  return words;
}

describe("captured requests: the argv our client would send", () => {
  it("covers protocols 1, 2 and 3", () => {
    const versions = new Set(
      clientCases.map((c) => parseRequest(readFileSync(vectorPath("captures", `${c.case}.c2s.bin`))).version),
    );
    expect([...versions].sort()).toEqual([1, 2, 3]);
  });

  for (const c of clientCases) {
    it(c.case, () => {
      const request = parseRequest(readFileSync(vectorPath("captures", `${c.case}.c2s.bin`)));
      const argv = compilerArgv(c.command);
      const scan = scanArgs(argv, {
        readFile: () => {
          throw new Error("none");
        },
      });
      expect(scan.distributable).toBe(true);
      if (!scan.distributable) return;
      const wire = serverArgv(scan, request.version as 1 | 2 | 3);
      const rewriteOff = c.env_extra.DISTCC_NO_REWRITE_CROSS !== undefined;
      if (!rewriteOff) wire[0] = qualifiedCompilerName(argv[0]!, "x86_64-pc-linux-gnu") ?? argv[0]!;
      expect(wire).toEqual(request.argv);
    });
  }
});

interface ServerLog {
  received: string[];
  executed: string[];
  root?: string;
  tempOutput: string;
}

function parseServerLog(text: string): ServerLog | undefined {
  const received = /\(dcc_r_argv\) got arguments: (.*)/.exec(text)?.[1];
  const executed = /\(dcc_spawn_child\) forking to execute: (.*)/.exec(text)?.[1];
  const output = /\(dcc_set_output\) changed output from "[^"]*" to "([^"]*)"/.exec(text)?.[1];
  if (received === undefined || executed === undefined || output === undefined) return undefined;
  const log: ServerLog = { received: received.split(" "), executed: executed.split(" "), tempOutput: output };
  const root = /\(dcc_r_file\) received \d+ bytes to file (\/tmp\/distccd_[^/\s]+)\//.exec(text)?.[1];
  if (root !== undefined) log.root = root;
  return log;
}

const serverLogs = clientCases
  .map((c) => ({ name: c.case, path: vectorPath("logs", `${c.case}.server.txt`) }))
  .filter((l) => existsSync(l.path))
  .map((l) => ({ name: l.name, log: parseServerLog(readFileSync(l.path, "utf8")) }))
  .filter((l): l is { name: string; log: ServerLog } => l.log !== undefined);

describe("distccd logs: the command our server would run", () => {
  it("has protocol 1/2 and protocol 3 jobs", () => {
    expect(serverLogs.filter((l) => l.log.root !== undefined).length).toBeGreaterThanOrEqual(5);
    expect(serverLogs.filter((l) => l.log.root === undefined).length).toBeGreaterThanOrEqual(8);
  });

  for (const { name, log } of serverLogs) {
    it(name, () => {
      const scan = scanExpandedArgs(log.received);
      expect(scan.distributable).toBe(true);
      if (!scan.distributable) return;
      if (log.root === undefined) {
        const input = log.executed.find((a) => a.startsWith("/tmp/distccd_") && !a.endsWith(".o"))!;
        expect(rewriteServerJob(scan.argv, { input, output: log.tempOutput }).argv).toEqual(log.executed);
      } else {
        const depsFile = log.executed.at(-1)!;
        const job = rewriteServerJob(scan.argv, { input: "", output: log.tempOutput, root: log.root, depsFile });
        expect(job.argv).toEqual(log.executed);
        expect(job.depsFile).toBe(depsFile);
        const mt = log.received.indexOf("-MT");
        expect(job.dependencyTarget).toBe(mt >= 0 ? log.received[mt + 1] : undefined);
      }
    });
  }
});

describe("distccd logs: the allow-list policy accepts every captured job and runs the same words", () => {
  for (const { name, log } of serverLogs) {
    it(name, () => {
      const scan = scanExpandedArgs(log.received);
      if (!scan.distributable) throw new Error("not distributable");
      const decision = decideServerArgv(
        scan.argv,
        log.root === undefined ? { protocol: 2 } : { protocol: 3, cwd: "/" },
      );
      expect(decision.ok ? "" : decision.refusal.why).toBe("");
      if (!decision.ok) return;
      const input = log.executed.find((a) => a.startsWith("/tmp/distccd_") && !a.endsWith(".o"))!;
      const job =
        log.root === undefined
          ? serverJobCommand(decision, { input, output: log.tempOutput })
          : serverJobCommand(decision, {
              input: "",
              output: log.tempOutput,
              root: log.root,
              depsFile: log.executed.at(-1)!,
            });
      // The same options, read canonically (`-I.` is `-I .`), in another order (the server's -o
      // last), with the deliberate differences: protocols 1/2 state the language (`-x cpp-output`
      // before the input), protocol 3 keeps only the server's own -MF (distccd also passes the
      // client's, which gcc overrides with the last) and protocol 3 takes the root off recorded file
      // names (distccd leaves `__FILE__` under its temp root).
      const rootMaps =
        log.root === undefined ? [] : [`-fmacro-prefix-map=${log.root}=`, `-fdebug-prefix-map=${log.root}=`];
      expect(job.argv.slice(1, 1 + rootMaps.length)).toEqual(rootMaps);
      const canonical = (argv: string[]): string[] => [argv[0]!, ...canonicalWords(readDriverWords(argv))];
      const ours = canonical(job.argv).filter(
        (a, i, all) => a !== "-x" && all[i - 1] !== "-x" && !rootMaps.includes(a),
      );
      const theirs = canonical(log.executed);
      const lastMf = theirs.lastIndexOf("-MF");
      const distccd = theirs.filter(
        (a, i, all) => !((a === "-MF" && i !== lastMf) || (all[i - 1] === "-MF" && i - 1 !== lastMf)),
      );
      expect(ours.sort()).toEqual(distccd.sort());
    });
  }
});
