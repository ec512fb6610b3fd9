/**
 * `--zeroconf`: the server registers `_distcc._tcp` as distccd does (its TXT keys, its subtype for
 * the native `cc`), plus one subtype for every other toolchain it serves, so a real distcc whose
 * `cc` is a Pi's gcc finds this x86 helper when it has the ARM cross compiler.
 */
import { execFile } from "node:child_process";
import { availableParallelism, hostname } from "node:os";
import { promisify } from "node:util";
import {
  DISTCC_SERVICE_TYPE,
  distccServerTxt,
  distccSubtype,
  isValidSubtype,
  openDnsSd,
  type DnsSdBackend,
  type Registration,
} from "@x/distcc-zeroconf";
import type { CompilerWhitelist } from "./whitelist.js";
import { SERVER_DEFAULTS } from "./defaults.js";

const run = promisify(execFile);

export interface ZeroconfFacts {
  port: number;
  jobs: number;
  whitelist: CompilerWhitelist;
  /** The `--stats` port when it serves: sent as our TXT key `x_stats`, for `mon --farm`. */
  statsPort?: number;
  /** Environment of the `cc -dumpmachine` / `-dumpversion` runs (default: ours, with DISTCCD_PATH as PATH, as the compilers'). */
  env?: NodeJS.ProcessEnv;
}

/** What `cc -dumpmachine` and `cc -dumpversion` print (distccd's cc_machine / cc_version), if both work. */
async function nativeCc(env: NodeJS.ProcessEnv | undefined): Promise<{ machine: string; version: string } | undefined> {
  try {
    const [machine, version] = await Promise.all(
      ["-dumpmachine", "-dumpversion"].map(async (flag) =>
        (await run("cc", [flag], { env, timeout: 10_000 })).stdout.trim(),
      ),
    );
    return machine && version ? { machine, version } : undefined;
  } catch {
    // No cc on PATH (or it failed): distccd then sends neither key and no subtype; so do we.
    return undefined;
  }
}

/**
 * The `-dumpversion` spellings a compiler of this identity may print on a client: gcc built with
 * `--with-gcc-major-version-only` (Debian, Ubuntu, Fedora) prints "12", others "12.2.0"; clang
 * prints its full version.
 */
function dumpVersions(family: string, version: string): string[] {
  const major = /^\d+/.exec(version)?.[0];
  return family === "gcc" && major && major !== version ? [major, version] : [version];
}

/** Every subtype label of the toolchains served, native first, without repeats or invalid labels. */
export function servedSubtypes(whitelist: CompilerWhitelist, native?: { machine: string; version: string }): string[] {
  const labels = new Set<string>();
  if (native) labels.add(distccSubtype(native.machine, native.version));
  for (const { identity } of whitelist.list?.() ?? []) {
    for (const version of dumpVersions(identity.family, identity.version))
      labels.add(distccSubtype(identity.target, version));
  }
  return [...labels].filter(isValidSubtype);
}

/**
 * Our TXT keys after distccd's: `x_stats=PORT` when `--stats` serves, and the toolchains as
 * `target/family-version`, as many as fit in 255 bytes.
 */
export function ourTxt(whitelist: CompilerWhitelist, statsPort?: number): string[] {
  const served = new Set(
    (whitelist.list?.() ?? []).map(({ identity }) => `${identity.target}/${identity.family}-${identity.version}`),
  );
  let value = "";
  for (const t of served) {
    const next = value ? `${value},${t}` : t;
    if (Buffer.byteLength(`x_toolchains=${next}`) > 255) break;
    value = next;
  }
  return [
    "x_server=distcc-ts",
    "x_ext=1",
    ...(statsPort ? [`x_stats=${statsPort}`] : []),
    ...(value ? [`x_toolchains=${value}`] : []),
  ];
}

/**
 * DISTCC_ZEROCONF_TEST_TTL=SECONDS, for tests only: the in-process mDNS publishes its records with at
 * most this TTL (Avahi's are its own), so a browser's expiry of a killed server is seen in seconds.
 */
function testTtl(value: string | undefined): { maxTtlSeconds?: number } {
  const seconds = Number(value);
  return value && Number.isInteger(seconds) && seconds > 0 ? { maxTtlSeconds: seconds } : {};
}

export interface ZeroconfRegistration {
  readonly backend: DnsSdBackend;
  readonly registration: Registration;
  readonly subtypes: readonly string[];
  /** Why the avahi-daemon was not used (when mDNS runs in this process instead). */
  readonly fallbackReason: string | undefined;
  /** Sends the goodbye and closes the backend. */
  withdraw(): Promise<void>;
}

/** Registers the server; throws a ZeroconfError when neither Avahi nor an mDNS socket can be used. */
export async function registerZeroconf(facts: ZeroconfFacts): Promise<ZeroconfRegistration> {
  const native = await nativeCc(
    facts.env ?? (process.env.DISTCCD_PATH ? { ...process.env, PATH: process.env.DISTCCD_PATH } : process.env),
  );
  const subtypes = servedSubtypes(facts.whitelist, native);
  const { backend, fallbackReason } = await openDnsSd(testTtl(process.env.DISTCC_ZEROCONF_TEST_TTL));
  const txt = distccServerTxt({
    cpus: availableParallelism(),
    jobs: facts.jobs,
    ...(native ? { ccMachine: native.machine, ccVersion: native.version } : {}),
    extra: ourTxt(facts.whitelist, facts.statsPort),
  });
  // distccd's instance name; a second server of this machine on another port gets its own name
  // (the in-process mDNS does not rename on a conflict as Avahi does).
  const name = facts.port === SERVER_DEFAULTS.port ? `distcc@${hostname()}` : `distcc@${hostname()}:${facts.port}`;
  let registration: Registration;
  try {
    registration = await backend.publish({ name, type: DISTCC_SERVICE_TYPE, port: facts.port, txt, subtypes });
  } catch (err) {
    await backend.close();
    throw err;
  }
  return {
    backend,
    registration,
    subtypes,
    fallbackReason,
    withdraw: async () => {
      await registration.withdraw();
      await backend.close();
    },
  };
}
