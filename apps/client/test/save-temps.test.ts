// DISTCC_SAVE_TEMPS=1 keeps the preprocessed source in $TMPDIR: the user's code, so it is written
// 0600 (another local user could read it at 0644), and created new (O_EXCL: never through a link
// planted at the name). As root and as the unprivileged user, against our server.
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, unprivilegedUser } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDistccServer, type ServerHandle } from "./our-server.js";
import { clientEnv, makeLinks, run, stopAgent } from "./helpers.js";

const tmp = makeTempDir("client-save-temps-");
chmodSync(tmp.path, 0o755);
let server: ServerHandle;
let launcher = "";
const user = unprivilegedUser();
const runners = [
  { name: "root", uid: 0, gid: 0 },
  { name: user.name, uid: user.uid, gid: user.gid },
];

beforeAll(async () => {
  server = await startDistccServer({ jobs: 2 });
  ({ launcher } = makeLinks(join(tmp.path, "links")));
});
afterAll(async () => {
  for (const r of runners) await stopAgent(join(tmp.path, `state-${r.uid}`));
  await server?.stop();
  tmp.remove();
});

describe.each(runners)("DISTCC_SAVE_TEMPS as $name", (runner) => {
  it("keeps the preprocessed source private (0600, under the umask 022)", async () => {
    const dir = join(tmp.path, `work-${runner.uid}`);
    const keep = join(dir, "kept");
    const state = join(tmp.path, `state-${runner.uid}`);
    mkdirSync(keep, { recursive: true });
    mkdirSync(state, { mode: 0o700 });
    writeFileSync(join(dir, "x.c"), "int saved_temps_marker(void) { return 7; }\n");
    for (const d of [dir, keep, state, join(dir, "x.c")]) chownSync(d, runner.uid, runner.gid);
    const env = clientEnv(state, server.host, { DISTCC_SAVE_TEMPS: "1", TMPDIR: keep, DISTCC_FALLBACK: "0" });
    const r = await run("sh", ["-c", 'umask 022; exec "$@"', "sh", launcher, "gcc", "-c", "x.c", "-o", "x.o"], {
      cwd: dir,
      env,
      uid: runner.uid,
      gid: runner.gid,
    });
    expect(r.code, r.stderr).toBe(0);
    const kept = readdirSync(keep).filter((f) => /^distcc_[0-9a-f]{8}\.i$/.test(f));
    expect(kept).toHaveLength(1);
    const path = join(keep, kept[0]!);
    expect(readFileSync(path, "utf8")).toContain("saved_temps_marker");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path).uid).toBe(runner.uid);
  });
});
