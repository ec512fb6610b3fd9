// SSH entries against the real client: distcc runs $DISTCC_SSH with `[-l USER] HOST COMMAND
// --inetd --enable-tcp-insecure`. A stand-in ssh records those arguments (and fails, so distcc
// compiles locally), which shows the user, host and command distcc really parsed.
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@x/testkit";
import { HostSpecError, parseHostList, slotName, type HostEntry } from "../src/index.js";
import { sshEntry } from "./host-line-arbitrary.js";

const LINES = 25;

describe("ssh entries against the real distcc", () => {
  const dir = makeTempDir("hosts-ssh-");
  afterAll(() => dir.remove());

  it(`${LINES} generated entries: same user, host, command, slot name`, () => {
    const fakeSsh = join(dir.path, "fake-ssh");
    const argsFile = join(dir.path, "ssh-args");
    writeFileSync(fakeSsh, `#!/bin/sh\nprintf '%s\\n' "$@" > "${argsFile}"\nexit 1\n`);
    chmodSync(fakeSsh, 0o755);
    writeFileSync(join(dir.path, "x.c"), "int main(void) { return 0; }\n");

    // Only entries distcc accepts, with one host, that is not down.
    const entries = fc
      .sample(sshEntry, { numRuns: 400, seed: 99 })
      .filter((text) => {
        try {
          const hosts = parseHostList(text, { extensions: false }).hosts;
          return hosts.length === 1 && hosts[0]?.kind === "ssh" && !hosts[0].down;
        } catch (e) {
          if (e instanceof HostSpecError) return false;
          throw e;
        }
      })
      .slice(0, LINES);
    expect(entries.length).toBe(LINES);

    const mismatches: string[] = [];
    for (const text of entries) {
      const host = parseHostList(text, { extensions: false }).hosts[0] as Extract<HostEntry, { kind: "ssh" }>;
      const distccDir = join(dir.path, "state");
      rmSync(distccDir, { recursive: true, force: true });
      mkdirSync(distccDir);
      rmSync(argsFile, { force: true });
      const run = spawnSync("distcc", ["gcc", "-c", "x.c", "-o", "x.o"], {
        cwd: dir.path,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          DISTCC_DIR: distccDir,
          DISTCC_HOSTS: text,
          DISTCC_SSH: fakeSsh,
        },
        encoding: "utf8",
        // A host we think is up but distcc thinks is down makes it wait for a slot forever.
        timeout: 10_000,
      });
      if (run.status !== 0) {
        mismatches.push(
          `${JSON.stringify(text)}: distcc ${run.status === null ? "timed out" : `exited ${run.status}`}`,
        );
        continue;
      }
      const realArgs = existsSync(argsFile) ? readFileSync(argsFile, "utf8").replace(/\n$/, "").split("\n") : [];
      const ourArgs = [
        ...(host.user === undefined ? [] : ["-l", host.user]),
        host.host,
        host.command ?? "distccd",
        "--inetd",
        "--enable-tcp-insecure",
      ];
      const realLocks = readdirSync(join(distccDir, "lock")).filter((f) => f.startsWith("cpu_ssh_"));
      if (
        JSON.stringify(realArgs) !== JSON.stringify(ourArgs) ||
        JSON.stringify(realLocks) !== JSON.stringify([slotName(host, 0)])
      ) {
        mismatches.push(
          `${JSON.stringify(text)}\n  real: ${JSON.stringify(realArgs)} ${JSON.stringify(realLocks)}\n  ours: ${JSON.stringify(ourArgs)} ${slotName(host, 0)}`,
        );
      }
    }
    expect(mismatches.join("\n")).toBe("");
  });
});
