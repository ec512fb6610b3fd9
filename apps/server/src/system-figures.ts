import { readFile, readdir, statfs } from "node:fs/promises";
import { loadavg } from "node:os";
import { isErrno } from "./errno.js";

/** The machine-wide figures of distccd's stats page (read from /proc on each request). */
export interface SystemFigures {
  currentLoad: number;
  loadAverage: [number, number, number];
  procsInStateD: number;
  maxRss: { kb: number; name: string };
  freeSpaceMb: number;
}

/** distccd's dcc_getcurrentload(): the runnable-process count, 4th field of /proc/loadavg. */
async function currentLoad(): Promise<number> {
  try {
    const text = await readFile("/proc/loadavg", "utf8");
    return Number(text.split(" ")[3]?.split("/")[0] ?? 0) || 0;
  } catch (err) {
    // No /proc here (another OS, a sandbox): the figure is unknown, shown as 0 as distccd does.
    if (isErrno(err, "ENOENT", "EACCES")) return 0;
    throw err;
  }
}

/** Processes in state D and the largest resident set, as distccd's stats.c scans /proc. */
async function processScan(): Promise<{ procsInStateD: number; maxRss: { kb: number; name: string } }> {
  let procsInStateD = 0;
  let maxRss = { kb: 0, name: "none" };
  let entries: string[] = [];
  try {
    entries = (await readdir("/proc")).filter((e) => /^\d+$/.test(e));
  } catch (err) {
    if (isErrno(err, "ENOENT", "EACCES")) return { procsInStateD, maxRss };
    throw err;
  }
  await Promise.all(
    entries.map(async (pid) => {
      try {
        const stat = await readFile(`/proc/${pid}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        const name = stat.slice(stat.indexOf("(") + 1, close);
        const fields = stat.slice(close + 2).split(" ");
        if (fields[0] === "D") procsInStateD++;
        const rssPages = Number(fields[21] ?? 0);
        const kb = rssPages * 4;
        if (kb > maxRss.kb) maxRss = { kb, name };
      } catch (err) {
        // The process ended while we looked (ENOENT, ESRCH), or is hidden from us (EACCES).
        if (!isErrno(err, "ENOENT", "ESRCH", "EACCES")) throw err;
      }
    }),
  );
  return { procsInStateD, maxRss };
}

export async function collectSystemFigures(tempDir: string): Promise<SystemFigures> {
  const [load, scan, space] = await Promise.all([
    currentLoad(),
    processScan(),
    // A temp dir removed under us: no free space to show. Other errors fail the page.
    statfs(tempDir).catch((err: unknown) => {
      if (isErrno(err, "ENOENT", "ENOTDIR", "EACCES")) return undefined;
      throw err;
    }),
  ]);
  const avg = loadavg();
  return {
    currentLoad: load,
    loadAverage: [avg[0] ?? 0, avg[1] ?? 0, avg[2] ?? 0],
    ...scan,
    freeSpaceMb: space ? Math.floor((space.bavail * space.bsize) / (1024 * 1024)) : 0,
  };
}
