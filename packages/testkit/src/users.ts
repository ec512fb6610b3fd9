import { readFileSync } from "node:fs";
import { userInfo } from "node:os";

/** A user without privileges that a test runs a process as (child_process `uid`/`gid`). */
export interface UnprivilegedUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** The account `scripts/setup.sh` creates for tests that must not run as root. */
const TEST_USER_NAME = "distcc-ci";

/**
 * Who a permission test runs as. Root hides permission bugs (it writes anywhere), so a test that
 * writes files or checks permissions runs its case a second time as this user. Run as a normal
 * user, that is the current user; run as root, it is `distcc-ci`, and its absence is an error
 * (never a skip): `bash scripts/setup.sh` creates it.
 */
export function unprivilegedUser(): UnprivilegedUser {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) {
    const me = userInfo();
    return { name: me.username, uid, gid: process.getgid?.() ?? me.gid, home: me.homedir };
  }
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${TEST_USER_NAME}:`));
  if (!line) {
    throw new Error(
      `no user ${TEST_USER_NAME}: run as root, the permission tests need it (bash scripts/setup.sh creates it)`,
    );
  }
  const [name, , u, g, , home] = line.split(":");
  return { name: name!, uid: Number(u), gid: Number(g), home: home ?? "/nonexistent" };
}
