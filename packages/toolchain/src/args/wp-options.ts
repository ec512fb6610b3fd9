// `-Wp,` options turned into plain driver options before scanning (`dcc_expand_preprocessor_options`
// in distcc's `src/arg.c`). This is the only place that parses `-Wp,`.

/**
 * Expand every `-Wp,A,B,...` into separate arguments `A`, `B`, ...; `-MD,FILE` and `-MMD,FILE`
 * inside become `-MD -MF FILE` / `-MMD -MF FILE`. Empty comma parts stay as empty arguments, as in
 * distcc. `-Wp,-MD` without a file name gives just `-MD`.
 */
export function expandWpOptions(argv: readonly string[]): string[] {
  let any = false;
  for (const a of argv) {
    if (a.startsWith("-Wp,")) {
      any = true;
      break;
    }
  }
  if (!any) return argv.slice();
  const out: string[] = [];
  for (const a of argv) {
    if (!a.startsWith("-Wp,")) {
      out.push(a);
      continue;
    }
    const parts = a.slice(4).split(",");
    for (let p = 0; p < parts.length; p++) {
      const opt = parts[p]!;
      out.push(opt);
      if (opt === "-MD" || opt === "-MMD") {
        if (p + 1 >= parts.length) break;
        out.push("-MF", parts[++p]!);
      }
    }
  }
  return out;
}
