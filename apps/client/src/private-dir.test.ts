import { chmodSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@x/testkit";
import { ensurePrivateDir, privateDirProblem, UnsafeAgentPathError, verifyPrivateDirIfPresent } from "./private-dir.js";

const me = process.getuid?.() ?? 0;

describe("private directories of the agent", () => {
  const tmp = makeTempDir("client-private-dir-");
  afterAll(() => tmp.remove());

  it("creates a missing directory with mode 0700 and accepts it", () => {
    const dir = join(tmp.path, "fresh");
    ensurePrivateDir(dir, me);
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    expect(verifyPrivateDirIfPresent(dir, me)).toBe(true);
    expect(verifyPrivateDirIfPresent(join(tmp.path, "absent"), me)).toBe(false);
  });

  it("refuses a directory of another owner, naming it and the owner, and leaves it as it was", () => {
    const dir = join(tmp.path, "theirs");
    mkdirSync(dir, { mode: 0o700 });
    // Seen as another user (uid + 1): the directory then belongs to someone else.
    const other = me + 1;
    const err = (() => {
      try {
        ensurePrivateDir(dir, other);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnsafeAgentPathError);
    expect((err as UnsafeAgentPathError).code).toBe("DISTCC_CLIENT_ERR_UNSAFE_AGENT_PATH");
    expect((err as Error).message).toContain(`${dir} belongs to uid ${me}`);
    expect((err as Error).message).toContain(`not to you (uid ${other})`);
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
  });

  it("refuses a wider mode (never loosened or tightened behind the user's back), a symlink, a file", () => {
    const wide = join(tmp.path, "wide");
    mkdirSync(wide);
    chmodSync(wide, 0o750);
    expect(() => ensurePrivateDir(wide, me)).toThrow(`${wide} has mode 0750`);
    expect(lstatSync(wide).mode & 0o777).toBe(0o750);
    const link = join(tmp.path, "link");
    symlinkSync(join(tmp.path, "fresh"), link);
    expect(() => verifyPrivateDirIfPresent(link, me)).toThrow("is a symbolic link");
    const file = join(tmp.path, "file");
    writeFileSync(file, "");
    expect(privateDirProblem(file, lstatSync(file), me)).toBe(`${file} is not a directory`);
  });
});
