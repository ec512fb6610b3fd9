// The npm tarballs as a user gets them: scripts/pack.sh, `npm i -g --prefix` into empty folders,
// everything run from outside the checkout. About 16 s of CPU; the wall time is mostly npm (zod and
// lz4js come from npm's cache, else the registry) and tsc.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, hasCommand, makeTempDir, repoRoot, waitFor, waitForPort } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let temp: { path: string; remove(): void };
let packs: string;
let prefix: string;
const children: ChildProcess[] = [];

/** The environment of a user's shell: nothing of pnpm's or vitest's npm_* settings, our bins first. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(npm_|PNPM|DISTCC|_DISTCC|VITEST|NODE_OPTIONS$)/i.test(k)) env[k] = v;
  }
  return { ...env, PATH: `${join(prefix, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`, ...extra };
}

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = userEnv(), cwd = temp.path): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function tarballs(): string[] {
  return readdirSync(packs)
    .filter((f) => f.endsWith(".tgz"))
    .map((f) => join(packs, f));
}

const npmInstall = ["install", "--global", "--no-audit", "--no-fund", "--prefer-offline"];

beforeAll(() => {
  temp = makeTempDir("distcc-tarballs-");
  packs = join(temp.path, "packs");
  prefix = join(temp.path, "prefix");
  // dist/ is fresh: `pnpm test` and .ci/run build before the tests run.
  sh("bash", [join(repoRoot, "scripts", "pack.sh"), "--no-build", "--out", packs]);
  sh("npm", [...npmInstall, "--prefix", prefix, ...tarballs()]);
}, 120_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  const pidFile = join(temp.path, "distcc-state", "agent", "agent.pid");
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, "utf8")), "SIGTERM");
    } catch {
      // already gone
    }
  }
  temp?.remove();
});

describe("the npm tarballs (scripts/pack.sh)", () => {
  it("one per publishable package, minimal content, no workspace: versions left", () => {
    const names = tarballs()
      .map((t) => t.slice(packs.length + 1).replace(/-\d+\.\d+\.\d+\.tgz$/, ""))
      .sort();
    expect(names).toEqual([
      "x-distcc-client",
      "x-distcc-hosts",
      "x-distcc-includes",
      "x-distcc-protocol",
      "x-distcc-scheduler",
      "x-distcc-server",
      "x-distcc-toolchain",
    ]);
    for (const tgz of tarballs()) {
      const files = execFileSync("tar", ["-tzf", tgz], { encoding: "utf8" }).trim().split("\n");
      for (const f of files)
        expect(f, `${tgz}: ${f}`).toMatch(
          /^package\/(dist\/[^/]+\.(js|d\.ts)|README\.md|LICENSE|package\.json|native\/(launcher|spawn-helper)\.c|systemd\/distcc-server\.service)$/,
        );
      const manifest = execFileSync("tar", ["-xOzf", tgz, "package/package.json"], { encoding: "utf8" });
      expect(manifest).not.toContain("workspace:");
      const deps = Object.keys((JSON.parse(manifest) as { dependencies?: object }).dependencies ?? {});
      if (/client|server/.test(tgz)) expect(deps.filter((d) => d.startsWith("@x/"))).toEqual([]);
    }
    expect(
      execFileSync("tar", ["-tzf", tarballs().find((t) => t.includes("client"))!], { encoding: "utf8" }),
    ).toContain("package/native/launcher.c");
    expect(
      execFileSync("tar", ["-tzf", tarballs().find((t) => t.includes("server"))!], { encoding: "utf8" }),
    ).toContain("package/systemd/distcc-server.service");
    // The server's spawn helper, built at run time from its C source.
    expect(
      execFileSync("tar", ["-tzf", tarballs().find((t) => t.includes("server"))!], { encoding: "utf8" }),
    ).toContain("package/native/spawn-helper.c");
  });

  it("both bins answer --version from any directory, on PATH and through npx", () => {
    expect(sh("distcc-server", ["--version"])).toMatch(
      /^distccd 3\.4 \S+\n {2}\(protocols 1, 2 and 3\) \(default port 3632\)\n {2}distcc-server \d+\.\d+\.\d+ /,
    );
    expect(sh("distcc-client", ["--version"])).toMatch(
      /^distcc 3\.4 \S+\n {2}\(protocols 1, 2 and 3\) \(default port 3632\)\n {2}distcc-client \d+\.\d+\.\d+ /,
    );
    const npx = userEnv({ NPM_CONFIG_PREFIX: prefix });
    expect(sh("npx", ["--no-install", "distcc-server", "--version"], npx, "/")).toMatch(/\n {2}distcc-server /);
    expect(sh("npx", ["--no-install", "distcc-client", "--version"], npx, "/")).toMatch(/\n {2}distcc-client /);
  });

  it("the installed server's service unit runs the installed script (and systemd accepts it)", () => {
    const root = join(temp.path, "service-root");
    sh("distcc-server", ["service", "install", "--root", root, "--allow", "192.168.1.0/24"]);
    const unitFile = join(root, "etc", "systemd", "system", "distcc-server.service");
    const script = join(prefix, "lib", "node_modules", "@x", "distcc-server", "dist", "cli.js");
    const node = sh("node", ["-p", "process.execPath"]).trim(); // the node the bin's `#!/usr/bin/env node` finds
    expect(readFileSync(unitFile, "utf8")).toContain(`\nExecStart=${node} ${script} --config /etc/distcc-server.json `);
    if (hasCommand("systemd-analyze")) sh("systemd-analyze", ["verify", unitFile]);
  });

  it("the installed server and client compile a file between them (native launcher from the installed package)", async () => {
    const port = await freePort();
    const server = spawn(
      join(prefix, "bin", "distcc-server"),
      ["--listen", "127.0.0.1", "--port", String(port), "--user", "root", "--log-level", "info"],
      {
        cwd: temp.path,
        env: userEnv({ XDG_CACHE_HOME: join(temp.path, "cache") }),
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    children.push(server);
    let log = "";
    server.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    await waitForPort(port);

    const links = join(temp.path, "links");
    const distccDir = join(temp.path, "distcc-state");
    const clientEnv = userEnv({ DISTCC_DIR: distccDir, DISTCC_HOSTS: `127.0.0.1:${port}`, DISTCC_FALLBACK: "0" });
    const made = sh("distcc-client", ["links", links], clientEnv);
    expect(made).toContain("native");
    // The launcher was compiled from the installed package's native/launcher.c.
    expect(readdirSync(links)).toContain("gcc");

    const project = join(temp.path, "project");
    mkdirSync(project);
    writeFileSync(
      join(project, "hello.c"),
      '#include <stdio.h>\nint main(void) { puts("hello from the tarballs"); return 0; }\n',
    );
    sh(join(links, "gcc"), ["-c", "hello.c", "-o", "hello.o"], clientEnv, project);
    sh("gcc", ["hello.o", "-o", "hello"], clientEnv, project);
    expect(sh(join(project, "hello"), [], clientEnv, project)).toBe("hello from the tarballs\n");
    await waitFor("the server's COMPILE_OK line", () => log.includes("COMPILE_OK"));
    expect(log).toMatch(/\(job_summary\) client: 127\.0\.0\.1:\d+ COMPILE_OK .*hello\.c/);
    server.kill("SIGTERM");
  });

  it("each role installs alone with scripts/install.sh: the client from its tarball without the registry", () => {
    const install = join(repoRoot, "scripts", "install.sh");
    const clientPrefix = join(temp.path, "client-only");
    // npm_config_offline: the client has no dependencies, so nothing may be fetched.
    sh("bash", [install, "client", "--from", packs, "--prefix", clientPrefix], userEnv({ npm_config_offline: "true" }));
    expect(readdirSync(join(clientPrefix, "lib", "node_modules", "@x"))).toEqual(["distcc-client"]);
    expect(existsSync(join(clientPrefix, "lib", "node_modules", "@x", "distcc-client", "node_modules"))).toBe(false);
    expect(sh(join(clientPrefix, "bin", "distcc-client"), ["--version"])).toMatch(/\n {2}distcc-client /);

    const serverPrefix = join(temp.path, "server-only");
    const out = sh(
      "bash",
      [install, "server", "--from", packs, "--prefix", serverPrefix, "--no-service", "--allow", "10.0.0.0/8"],
      userEnv({ npm_config_prefer_offline: "true" }),
    );
    expect(out).toContain("start: distcc-server --allow 10.0.0.0/8");
    expect(readdirSync(join(serverPrefix, "lib", "node_modules", "@x"))).toEqual(["distcc-server"]);
    expect(sh(join(serverPrefix, "bin", "distcc-server"), ["--version"])).toMatch(/\n {2}distcc-server /);
  });

  it("install.sh on a machine without node: says how to get Node 20, installs nothing", () => {
    // A PATH with the tools the script uses before its check, and no node or npm.
    const tools = join(temp.path, "no-node-bin");
    mkdirSync(tools);
    for (const tool of ["bash", "uname", "sed", "id", "dirname", "apt-cache", "sudo", "cat", "grep"]) {
      const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
      if (found) symlinkSync(found, join(tools, tool));
    }
    const target = join(temp.path, "never-made");
    const r = spawnSync(
      join(tools, "bash"),
      [join(repoRoot, "scripts", "install.sh"), "client", "--from", packs, "--prefix", target],
      {
        cwd: temp.path,
        env: { ...userEnv(), PATH: tools },
        encoding: "utf8",
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("install.sh: node is not installed");
    expect(r.stderr).toContain("Install Node 20 (20.18.1 or newer) with npm");
    expect(r.stderr).toMatch(
      /apt-get install -y nodejs|deb\.nodesource\.com\/setup_20\.x|unofficial-builds\.nodejs\.org/,
    );
    expect(existsSync(target)).toBe(false);
  });

  it("the protocol tarball alone installs into an empty project, imports, and carries its types", () => {
    const project = join(temp.path, "embedder");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "embedder", private: true, type: "module" }));
    const protocol = tarballs().find((t) => t.includes("x-distcc-protocol"))!;
    sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", protocol], userEnv(), project);
    const out = sh(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'import { encodeHeader, decodeHeader, lz4Compress, lz4Decompress } from "@x/distcc-protocol"; const h = decodeHeader(encodeHeader("DIST", 2)); const text = new TextDecoder().decode(lz4Decompress(lz4Compress(new TextEncoder().encode("int x;")))); console.log(h.token, h.value, text);',
      ],
      userEnv(),
      project,
    );
    expect(out).toBe("DIST 2 int x;\n");

    // tsc sees the package's types: a wrong token name is an error (the @ts-expect-error would be
    // unused, itself an error, if the import were untyped).
    writeFileSync(
      join(project, "check.ts"),
      'import { encodeHeader, decodeHeader, type TokenHeader } from "@x/distcc-protocol";\n' +
        'const h: TokenHeader = decodeHeader(encodeHeader("DIST", 2));\n' +
        "const n: number = h.value;\n" +
        '// @ts-expect-error "NOPE" is not a token name\n' +
        'encodeHeader("NOPE", 1);\n' +
        "export { n };\n",
    );
    const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
    sh(
      process.execPath,
      [
        tsc,
        "--noEmit",
        "--strict",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2022",
        "--skipLibCheck",
        "--types",
        "node",
        "--typeRoots",
        join(repoRoot, "node_modules", "@types"),
        "check.ts",
      ],
      userEnv(),
      project,
    );
  });
});
