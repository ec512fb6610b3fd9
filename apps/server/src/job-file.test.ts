import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openJobFileSync, readJobFile, UnsafeJobFileError } from "./job-file.js";
import { closeSync } from "node:fs";

// A sandboxed compiler running the client's code can leave anything as its "output": the server
// must never read through a link (to a file only it can read) or block on a FIFO (the whole server).
const dir = mkdtempSync(join(tmpdir(), "job-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(join(dir, "secret"), "server-only secret");
writeFileSync(join(dir, "object.o"), "an object");
symlinkSync(join(dir, "secret"), join(dir, "link.o"));
execFileSync("mkfifo", [join(dir, "fifo.o")]);
mkdirSync(join(dir, "dir.o"));

describe("job files", () => {
  it("reads a regular file", async () => {
    expect((await readJobFile(join(dir, "object.o"))).toString()).toBe("an object");
    const { fd, size } = openJobFileSync(join(dir, "object.o"));
    closeSync(fd);
    expect(size).toBe(9);
  });

  it.each([
    ["a symlink to a file only the server may read", "link.o", /a symlink/],
    ["a FIFO (an open would block the event loop)", "fifo.o", /a FIFO/],
    ["a directory", "dir.o", /a directory/],
  ])("refuses %s, without blocking", async (_what, name, why) => {
    expect(() => openJobFileSync(join(dir, name))).toThrow(UnsafeJobFileError);
    expect(() => openJobFileSync(join(dir, name))).toThrow(why);
    await expect(readJobFile(join(dir, name))).rejects.toThrow(why);
  });

  it("lets a missing file through as ENOENT (nothing was written)", async () => {
    expect(() => openJobFileSync(join(dir, "none.o"))).toThrow(/ENOENT/);
    await expect(readJobFile(join(dir, "none.o"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
