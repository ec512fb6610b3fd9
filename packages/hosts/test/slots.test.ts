// Lock file names: the real distcc client leaves `cpu_*` slot files (and `backoff_*` files for a
// host that refused the connection) in $DISTCC_DIR/lock; slotName must give the same names.
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, makeTempDir } from "@x/testkit";
import fc from "fast-check";
import { HostSpecError, parseHostList, slotName, type HostEntry } from "../src/index.js";
import { limits, options, tails } from "./host-line-arbitrary.js";

describe("slotName", () => {
  it("names local, TCP and SSH slots like src/lock.c", () => {
    const [local, tcp, v6, ssh] = parseHostList("localhost 127.0.0.1:3701 [::1]:3700 user@box/2:/opt/distccd").hosts;
    expect(local && slotName(local, 3)).toBe("cpu_localhost_3");
    expect(tcp && slotName(tcp, 0)).toBe("cpu_tcp_127.0.0.1_3701_0");
    expect(v6 && slotName(v6, 1)).toBe("cpu_tcp_::1_3700_1");
    expect(ssh && slotName(ssh, 0)).toBe("cpu_ssh_box_0");
    expect(tcp && slotName(tcp, 0, "backoff")).toBe("backoff_tcp_127.0.0.1_3701_0");
  });

  describe("against the real client's lock directory", () => {
    const dirs: { path: string; remove(): void }[] = [];
    afterAll(() => {
      for (const d of dirs) d.remove();
    });

    // Each line names one TCP host on a closed port: distcc locks its slot 0, fails to connect,
    // writes the backoff file and compiles locally.
    const lines = (port: number): string[] => [
      `127.0.0.1:${port}`,
      `127.0.0.1#x:${port}`,
      `[::1]=2:${port}`,
      `127.0.0.1:${port}/3,lzo`,
      `127.0.0.1/2:${port}/5`,
    ];

    function remoteLocks(line: string): string[] | string {
      const dir = makeTempDir("hosts-slots-");
      dirs.push(dir);
      writeFileSync(join(dir.path, "x.c"), "int main(void) { return 0; }\n");
      const run = spawnSync("distcc", ["gcc", "-c", "x.c", "-o", "x.o"], {
        cwd: dir.path,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", DISTCC_DIR: dir.path, DISTCC_HOSTS: line },
        encoding: "utf8",
        timeout: 10_000,
      });
      if (run.status !== 0)
        return `distcc ${run.status === null ? "timed out" : `exited ${run.status}`}: ${run.stderr}`;
      return readdirSync(join(dir.path, "lock"))
        .filter((f) => !f.includes("localhost"))
        .sort();
    }

    it("for generated loopback entries, distcc used the host and port we parsed", async () => {
      const port = await freePort();
      // Loopback only (no DNS), a closed port or one that fails at once; odd limits, options, tails.
      const entry = fc
        .tuple(
          fc.constantFrom("127.0.0.1", "[::1]", "[127.0.0.1]"),
          limits,
          fc.constantFrom(`:${port}`, `:${port}`, ":-5", ":0", `:${port}\vx`, ":"),
          limits,
          options,
          tails,
        )
        .map((p) => p.join(""));
      const usable = (host: HostEntry | undefined): boolean =>
        host?.kind === "tcp" && !host.down && host.limit >= 1 && host.port !== 3632;
      const lines = fc
        .sample(entry, { numRuns: 300, seed: 5 })
        .filter((line) => {
          try {
            const hosts = parseHostList(line, { extensions: false }).hosts;
            return hosts.length === 1 && usable(hosts[0]);
          } catch (e) {
            if (e instanceof HostSpecError) return false;
            throw e;
          }
        })
        .slice(0, 20);
      expect(lines.length).toBe(20);
      const mismatches: string[] = [];
      for (const line of lines) {
        const [host] = parseHostList(line, { extensions: false }).hosts;
        if (!host) continue;
        const ours = [slotName(host, 0, "backoff"), slotName(host, 0)].sort();
        const real = remoteLocks(line);
        if (JSON.stringify(real) !== JSON.stringify(ours))
          mismatches.push(`${JSON.stringify(line)}: real ${JSON.stringify(real)}, ours ${JSON.stringify(ours)}`);
      }
      expect(mismatches.join("\n")).toBe("");
    });

    it("gives the names distcc created", async () => {
      const port = await freePort();
      for (const line of lines(port)) {
        const [host] = parseHostList(line).hosts;
        expect(host).toBeDefined();
        if (!host) continue;
        expect(remoteLocks(line), line).toEqual([slotName(host, 0, "backoff"), slotName(host, 0)].sort());
      }
    });
  });
});
