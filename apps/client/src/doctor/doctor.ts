import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { findHostList, parseHostList, type HostList, type TcpHostEntry } from "@x/distcc-hosts";
import { IdentityCache, readElfTarget, type CompilerIdentity, type ElfTarget } from "@x/distcc-toolchain";
import { agentPaths } from "../agent-paths.js";
import { clientOptions } from "../env-options.js";
import { findLocalCompilers, type LocalCompiler } from "./local-compilers.js";
import { discoverOnce, NO_HOSTS_HINT, withFoundHelpers } from "../zeroconf-hosts.js";
import { checkCompilerOnHost, describeTarget, DOCTOR_SOURCE, identifyHost, type Timeouts } from "./remote-check.js";

export interface DoctorReport {
  /** What a person reads. */
  text: string;
  /** 0 when every host is reachable and serves every local compiler, else 1. */
  code: number;
}

interface Identified extends LocalCompiler {
  identity: CompilerIdentity;
  /** The object the local compiler makes of DOCTOR_SOURCE (what a helper must match). */
  local?: ElfTarget;
}

/**
 * `distcc-client doctor [COMPILER...]` (issue 6 item 8): for each host of the list, is it reachable,
 * is it our server or a distccd, which of this machine's compilers it serves (a real compile of a
 * tiny file, sent the way a build sends it, the object checked and compared with a local compile),
 * and for each it cannot, the command that fixes it.
 */
export async function runDoctor(
  args: readonly string[],
  env: Record<string, string | undefined>,
): Promise<DoctorReport> {
  const lines: string[] = [];
  const found = findHostList(env);
  if (!found) return { text: `Warning: no hostlist is set; can't distribute work: ${NO_HOSTS_HINT}\n`, code: 1 };
  let hosts: HostList;
  try {
    hosts = parseHostList(found.text, { source: found.source });
  } catch (err) {
    return { text: `the host list is invalid: ${(err as Error).message}\n`, code: 1 };
  }
  if (hosts.zeroconf) {
    try {
      const { helpers, backend } = await discoverOnce(env);
      lines.push(`+zeroconf: browsing _distcc._tcp through ${backend}`);
      lines.push(
        helpers.length === 0
          ? "  no helper found (start helpers with distcc-server --zeroconf, or distccd --zeroconf)"
          : `  found ${helpers.map((h) => `${h.spec} (${h.name})`).join(", ")}`,
      );
      hosts = withFoundHelpers(hosts, helpers);
    } catch (err) {
      lines.push(`+zeroconf: cannot browse: ${(err as Error).message}`);
    }
    if (hosts.hosts.length === 0)
      return { text: `${lines.join("\n")}\nWarning: ${found.source} gives no host; can't distribute work\n`, code: 1 };
  }
  if (hosts.hosts.length === 0)
    return {
      text: `${lines.map((l) => `${l}\n`).join("")}Warning: ${found.source} contained no hosts; can't distribute work\n`,
      code: 1,
    };
  if (!hosts.hosts.some((h) => h.kind === "tcp")) {
    return {
      text: `${lines.map((l) => `${l}\n`).join("")}Warning: ${found.source} names no helper (only ${hosts.hosts.map((h) => h.spec).join(", ")}): nothing is distributed\n`,
      code: 1,
    };
  }
  const opts = clientOptions(env);
  const t: Timeouts = { connectTimeoutMs: opts.connectTimeoutMs, ioTimeoutMs: Math.min(opts.ioTimeoutMs, 60_000) };
  const compilers = await identifyLocal(findLocalCompilers(env.PATH ?? "/usr/bin:/bin", args), env, lines);
  lines.push(
    `local compilers: ${compilers.map((c) => `${c.name} (${c.identity.family} ${c.identity.version}, ${c.identity.target})`).join("; ") || "none found"}`,
  );
  let problems = 0;
  const fixes = new Map<string, string[]>();
  for (const host of hosts.hosts) {
    if (host.kind !== "tcp") {
      lines.push(
        "",
        `${host.spec}: ${host.kind === "local" ? "this machine" : "ssh host: not checked (distcc-client does not use ssh hosts yet)"}`,
      );
      continue;
    }
    const kind = await identifyHost(host, t);
    if (!kind.reachable) {
      problems++;
      lines.push("", `${host.spec}: NOT reachable: ${kind.reason}`);
      // Only a refused connection says what would help: nothing listens on that port.
      if (kind.kind === "refused")
        lines.push(
          `  fix, on ${host.host}: start the server (distcc-server, or distccd --allow <this machine>) on port ${host.port}`,
        );
      else if (kind.kind === "dns")
        lines.push(`  check the name '${host.host}' in ${found.source} (this machine cannot resolve it)`);
      continue;
    }
    if (kind.resets) {
      problems++;
      lines.push("", `${host.spec}: connects, but the server ${kind.reason}`);
      lines.push(
        `  check, on ${host.host}: that the server's --allow covers this machine's address (distccd and distcc-server both refuse others this way)`,
      );
      continue;
    }
    lines.push(
      "",
      `${host.spec}: reachable, ${kind.ours ? `our distcc-server${kind.capabilities ? ` (${kind.capabilities.server}, ${kind.capabilities.slots} slots, ${kind.capabilities.running} busy)` : ""}` : "a distccd (or another distcc 3.x server)"}`,
    );
    if (kind.capabilities) {
      const list = kind.capabilities.toolchains.map(
        (c) => `${c.identity.family} ${c.identity.version} for ${c.identity.target} (${c.names[0] ?? "?"})`,
      );
      lines.push(`  toolchains: ${list.join("; ") || "none"}`);
    } else if (kind.capabilitiesError) {
      lines.push(`  toolchains: could not be listed: ${kind.capabilitiesError}`);
    }
    for (const c of compilers) {
      const v = await checkCompilerOnHost(host, kind, c.name, c.identity, c.local, t);
      if (v.ok) {
        const same = v.sameAsLocal
          ? "same as a local compile"
          : c.local
            ? `DIFFERS from a local compile: ${v.differences.join("; ")}`
            : "no local object to compare";
        lines.push(
          `  ok    ${c.name}: sent as '${v.wire}'${kind.ours ? " with its identity" : ""}, object ${describeTarget(v.target)}, ${same}`,
        );
        if (!v.sameAsLocal && c.local) problems++;
      } else {
        problems++;
        lines.push(
          `  FAIL  ${c.name} (${c.identity.family} ${c.identity.version} for ${c.identity.target}): sent as '${v.wire}', ${v.why}`,
        );
        if (v.fix !== undefined) {
          lines.push(`        fix ${v.fix}`);
          addFix(fixes, host, v.fix);
        }
      }
    }
  }
  if (fixes.size > 0) {
    lines.push("", "To fix, run:");
    for (const [where, cmds] of fixes) for (const cmd of cmds) lines.push(`  ${where}: ${cmd}`);
  } else if (problems === 0) {
    lines.push("", "every host serves every local compiler");
  }
  return { text: `${lines.join("\n")}\n`, code: problems === 0 ? 0 : 1 };
}

function addFix(fixes: Map<string, string[]>, host: TcpHostEntry, fix: string): void {
  const cmd = fix.replace(/^on [^:]+: /, "");
  const list = fixes.get(host.host) ?? [];
  if (!list.includes(cmd)) list.push(cmd);
  fixes.set(host.host, list);
}

/** Probe each compiler (cached under DISTCC_DIR), keep one per identity, and compile the test file locally. */
async function identifyLocal(
  found: LocalCompiler[],
  env: Record<string, string | undefined>,
  lines: string[],
): Promise<Identified[]> {
  const cache = new IdentityCache({ file: join(agentPaths(env).stateDir, "compilers.json"), env: cleanEnv(env) });
  const seen = new Set<string>();
  const out: Identified[] = [];
  const dir = mkdtempSync(join(tmpdir(), "distcc-doctor-"));
  try {
    for (const c of found) {
      let identity: CompilerIdentity;
      try {
        identity = await cache.get(c.path);
      } catch (err) {
        lines.push(`${c.name} (${c.path}): not a usable compiler: ${(err as Error).message}`);
        continue;
      }
      const key = `${identity.path}\0${identity.family}\0${identity.kind}\0${identity.target}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...c, identity, ...localObject(c.path, identity, dir, env) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function localObject(
  path: string,
  identity: CompilerIdentity,
  dir: string,
  env: Record<string, string | undefined>,
): { local?: ElfTarget } {
  const src = join(dir, identity.kind === "c++" ? "doctor.ii" : "doctor.i");
  const obj = join(dir, "doctor.o");
  writeFileSync(src, DOCTOR_SOURCE);
  rmSync(obj, { force: true });
  const r = spawnSync(path, ["-c", src, "-o", obj], { env: cleanEnv(env), stdio: "ignore", timeout: 30_000 });
  if (r.status !== 0) return {};
  const target = readElfTarget(readFileSync(obj));
  return target ? { local: target } : {};
}

function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
