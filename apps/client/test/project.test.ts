import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startDistccd } from "@x/testkit";
import { startDistccServer, type ServerHandle } from "./our-server.js";
import { countingProxy, type FakeHost } from "./fake-hosts.js";
import { clientEnv, makeLinks, run, stopAgent } from "./helpers.js";
import { generateProject } from "./project.js";

describe("a generated 210-file project with make -j8 against two servers (distccd and distcc-server) limited to /2", () => {
  const tmp = makeTempDir("client-project-");
  const servers: ServerHandle[] = [];
  const proxies: FakeHost[] = [];
  let launcher = "";
  const distccDir = join(tmp.path, "state");

  beforeAll(async () => {
    for (const start of [() => startDistccd({ jobs: 4 }), () => startDistccServer({ jobs: 4 })]) {
      // The servers could take 4 each: the limit must come from the client's /2.
      const server = await start();
      servers.push(server);
      proxies.push(await countingProxy(server.port));
    }
    ({ launcher } = makeLinks(join(tmp.path, "links")));
  });
  afterAll(async () => {
    await stopAgent(distccDir);
    for (const p of proxies) await p.close();
    for (const s of servers) await s.stop();
    tmp.remove();
  });

  it("builds the same objects as a local build, never more than 2 jobs per server", async () => {
    const localDir = join(tmp.path, "local");
    const remoteDir = join(tmp.path, "remote");
    const objects = generateProject(localDir, 210);
    generateProject(remoteDir, 210);
    const local = await run("make", ["-j8", "CC=gcc"], { cwd: localDir, env: process.env });
    expect(local.code, local.stderr).toBe(0);
    const hosts = proxies.map((p) => `${p.host}/2`).join(" ");
    // Straggler copies off: a copy at the build's tail is a second connection for one object
    // (copies have their own tests, stragglers.test.ts).
    const env = clientEnv(distccDir, hosts, { DISTCC_FALLBACK: "0", DISTCC_STRAGGLERS: "0" });
    const remote = await run("make", ["-j8", `CC=${launcher} gcc`], { cwd: remoteDir, env });
    expect(remote.code, remote.stderr).toBe(0);
    for (const o of objects) {
      expect(readFileSync(join(remoteDir, o)).equals(readFileSync(join(localDir, o))), o).toBe(true);
      expect(readFileSync(join(remoteDir, o.replace(/\.o$/, ".d")), "utf8")).toBe(
        readFileSync(join(localDir, o.replace(/\.o$/, ".d")), "utf8"),
      );
    }
    const total = proxies.reduce((n, p) => n + p.connections(), 0);
    expect(total).toBe(objects.length);
    for (const p of proxies) {
      expect(p.connections()).toBeGreaterThan(0);
      expect(p.maxConcurrent()).toBeLessThanOrEqual(2);
    }
  }, 180_000);
});
