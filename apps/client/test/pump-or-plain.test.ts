import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startDistccd, waitFor, type DistccdHandle } from "@x/testkit";
import { clientEnv, disassemble, makeLinks, run, stopAgent } from "./helpers.js";
import { generateProject } from "./project.js";
import { slowProxy, type SlowProxy } from "./slow-proxy.js";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

describe("pump or plain: a ,cpp helper slower than this machine gets plain-mode jobs (real distccd, real gcc, make)", () => {
  const tmp = makeTempDir("client-pump-or-plain-");
  let distccd: DistccdHandle;
  let slow: SlowProxy;
  const distccDir = join(tmp.path, "state");
  let launcher = "";

  beforeAll(async () => {
    distccd = await startDistccd({ jobs: 4 });
    // 1.5 s per job whatever it is: with its 2 slots full, 750 ms of the helper per job, where this
    // machine preprocesses one of these files in a few ms.
    slow = await slowProxy(distccd.port, 1500);
    ({ launcher } = makeLinks(join(tmp.path, "links")));
  }, 60_000);
  afterAll(async () => {
    await stopAgent(distccDir);
    await slow.close();
    await distccd.stop();
    tmp.remove();
  });

  it("starts in pump mode, measures both sides, goes plain for that host, says why; the objects are the local ones", async () => {
    const files = 16;
    const dir = join(tmp.path, "proj");
    const objects = generateProject(dir, files);
    // DISTCC_FALLBACK=0: this machine is no place, every job goes to the helper (pump or plain).
    const env = clientEnv(distccDir, `${slow.host}/2,cpp,lzo`, { DISTCC_VERBOSE: "1", DISTCC_FALLBACK: "0" });
    const build = await run("make", ["-j4", `CC=${launcher} gcc`], { cwd: dir, env });
    expect(build.code, build.stderr).toBe(0);

    const sends = (version: number): number =>
      build.stderr.split("\n").filter((l) => l.includes(`to ${slow.host}/2,cpp,lzo (protocol ${version}`)).length;
    // The first jobs measure the helper in pump mode; one plain job measures this machine's preprocessing.
    expect(sends(3)).toBeGreaterThanOrEqual(3);
    const host = slow.host.replace(/\./g, "\\.");
    const why = new RegExp(
      `plain mode for ${host}: the helper takes (\\d+) ms per job with its preprocessing, this machine (\\d+) ms per preprocessing`,
    );
    const said = why.exec(build.stderr);
    expect(said, build.stderr).not.toBeNull();
    expect(Number(said![1])).toBeGreaterThan(1.5 * Number(said![2]));
    expect(build.stderr).toMatch(new RegExp(`plain mode for ${host}: probe: measuring this machine's preprocessing`));
    // From the switch on the jobs are preprocessed here: most of them went as protocol 2.
    expect(sends(2)).toBeGreaterThanOrEqual(files / 2);
    expect(sends(2) + sends(3)).toBeGreaterThanOrEqual(files);

    // Same code as a local build, whichever way each job went.
    const reference = join(tmp.path, "local");
    generateProject(reference, files);
    const local = await run("make", ["-j4", "CC=gcc"], { cwd: reference, env: process.env });
    expect(local.code, local.stderr).toBe(0);
    for (const o of objects) expect(await disassemble(join(dir, o)), o).toBe(await disassemble(join(reference, o)));

    // `summary` names the host's plain-mode jobs and why.
    const summary = await waitFor(
      "a summary with every job compiled",
      async () => {
        const r = await run(process.execPath, [cli, "summary"], { cwd: "/", env });
        return new RegExp(`^${files} of ${files} jobs compiled`, "m").test(r.stdout) ? r.stdout : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const line = summary.split("\n").find((l) => l.trim().startsWith(slow.host));
    expect(line, summary).toMatch(/plain mode for \d+ jobs: the helper takes \d+ ms per job with its preprocessing/);
  }, 120_000);
});
