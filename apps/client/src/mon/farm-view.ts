import type { FarmRow, ServerStatsFigures } from "./farm-stats.js";

/** `45 s`, `12 min`, `3 h 20 min`, `4 d 2 h`. */
export function formatUptime(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** The compilers a helper served, most used first: `gcc 12, g++ 3, +2 more`. */
export function formatCompilers(perCompiler: ServerStatsFigures["perCompiler"], shown = 3): string {
  const used = Object.entries(perCompiler)
    .filter(([, f]) => f.jobs > 0)
    .sort((a, b) => b[1].jobs - a[1].jobs || a[0].localeCompare(b[0]));
  if (used.length === 0) return "none yet";
  const list = used.slice(0, shown).map(([name, f]) => `${name} ${f.jobs}`);
  if (used.length > shown) list.push(`+${used.length - shown} more`);
  return list.join(", ");
}

/** Names come from other machines: no control characters reach the terminal. */
function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}

/**
 * The farm: one line per helper with its own figures (`distcc-server --stats`), or why there are
 * none. Plain text, no escapes, like the agent's view above it.
 */
export function formatFarm(rows: readonly FarmRow[]): string {
  if (rows.length === 0) return "farm: no helper in the host list\n";
  const answering = rows.filter((r) => r.answer?.kind === "figures").length;
  const lines = [`farm: ${rows.length} helper${rows.length === 1 ? "" : "s"}, ${answering} with figures`];
  const table = rows.map((r) => {
    const a = r.answer;
    if (a?.kind !== "figures") {
      const state =
        a === undefined
          ? "asking..."
          : `${a.kind === "unreachable" ? "unreachable" : "bad answer"}: ${a.why} (${r.target.url})`;
      return [r.target.name, "-", "-", "-", "-", "-", printable(state)];
    }
    const f = a.figures;
    return [
      r.target.name,
      `${f.running}/${f.maxKids}`,
      String(f.queued),
      f.system.loadAverage[0].toFixed(2),
      formatUptime(f.uptimeSeconds),
      printable(formatCompilers(f.perCompiler)),
      "",
    ];
  });
  const head = ["helper", "running", "queue", "load", "uptime", "compilers served", "state"];
  const width = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const leftAligned = new Set([0, 5, 6]);
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => (leftAligned.has(i) ? c.padEnd(width[i]!) : c.padStart(width[i]!)))
      .join("  ")
      .trimEnd();
  lines.push(fmt(head), ...table.map(fmt));
  return `${lines.join("\n")}\n`;
}
