import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import { describe, expect, it } from "vitest";
import { CmdListWhitelist } from "./cmdlist-whitelist.js";

describe("CmdListWhitelist (DISTCC_CMDLIST)", () => {
  it("matches the last N components and runs the listed path", () => {
    const dir = makeTempDir("cmdlist-");
    try {
      const file = join(dir.path, "cmdlist");
      writeFileSync(file, "# allowed\n/usr/bin/x86_64-linux-gnu-gcc\n/opt/cross/bin/arm-linux-gnueabihf-gcc\n");
      const one = new CmdListWhitelist(file);
      expect(one.lookupName("x86_64-linux-gnu-gcc")).toEqual({ ok: true, executable: "/usr/bin/x86_64-linux-gnu-gcc" });
      expect(one.lookupName("/anything/arm-linux-gnueabihf-gcc")).toEqual({
        ok: true,
        executable: "/opt/cross/bin/arm-linux-gnueabihf-gcc",
      });
      expect(one.lookupName("tcc").ok).toBe(false);
      const two = new CmdListWhitelist(file, 2);
      expect(two.lookupName("x86_64-linux-gnu-gcc").ok).toBe(false);
      expect(two.lookupName("bin/x86_64-linux-gnu-gcc").ok).toBe(true);
    } finally {
      dir.remove();
    }
  });
});
