import { readFileSync } from "node:fs";
import { isErrno } from "./errno.js";

export interface Persona {
  name: string;
  uid: number;
  gid: number;
}

/** Looks a user up in /etc/passwd (Node has no getpwnam). */
function findUser(name: string, passwd = "/etc/passwd"): Persona | undefined {
  let text: string;
  try {
    text = readFileSync(passwd, "utf8");
  } catch (err) {
    // No passwd file (a minimal container): nobody to find. Anything else is the caller's to report.
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  }
  for (const line of text.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/**
 * The user dropPrivileges will become, known before the server starts (it hands the job cgroups
 * to that user); undefined when it stays who it is or the user cannot be found (dropPrivileges
 * reports that).
 */
export function personaToBecome(requested: string | undefined): Persona | undefined {
  if (typeof process.getuid !== "function" || process.getuid() !== 0 || requested === "root") return undefined;
  try {
    return requested
      ? findUser(requested)
      : (findUser("distccd") ?? findUser("nobody") ?? { name: "nobody", uid: 65534, gid: 65534 });
  } catch (err) {
    // Unreadable /etc/passwd: dropPrivileges says so and the server does not start.
    if (err instanceof Error) return undefined;
    throw err;
  }
}

/**
 * distccd's rule (src/setuid.c): started as root, become `--user` (default: `distccd`, else
 * `nobody`) before serving, so a compiler never runs as root. Returns what happened, for the log.
 * Not root: nothing to do. `requested === "root"`: stays root (with a warning from the caller).
 */
export function dropPrivileges(requested: string | undefined): { changed: boolean; persona?: Persona; error?: string } {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return { changed: false };
  if (requested === "root") return { changed: false };
  let persona: Persona | undefined;
  try {
    persona = requested
      ? findUser(requested)
      : (findUser("distccd") ?? findUser("nobody") ?? { name: "nobody", uid: 65534, gid: 65534 });
  } catch (err) {
    return { changed: false, error: `cannot read /etc/passwd: ${(err as Error).message}` };
  }
  if (!persona) return { changed: false, error: `no such user ${JSON.stringify(requested)} in /etc/passwd` };
  try {
    process.setgroups?.([persona.gid]); // drop root's supplementary groups
    process.setgid?.(persona.gid);
    process.setuid?.(persona.uid);
    return { changed: true, persona };
  } catch (err) {
    return { changed: false, persona, error: (err as Error).message };
  }
}
