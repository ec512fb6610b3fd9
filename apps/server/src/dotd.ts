/**
 * Makes the .d file gcc wrote on the server look like the client's (spec 8.4, distccd's dotd.c):
 * on each line the first occurrence of the server's temp object path becomes the client's target,
 * and every occurrence of the job's root is deleted (so `<root>/usr/include/stdio.h` reads
 * `/usr/include/stdio.h` and `<root>/tmp/src/a.h` reads `/tmp/src/a.h`).
 */
export function fixDependencyFile(text: string, opts: { tempObject: string; target: string; root: string }): string {
  return text
    .split("\n")
    .map((line) => {
      const at = line.indexOf(opts.tempObject);
      const withTarget = at < 0 ? line : line.slice(0, at) + opts.target + line.slice(at + opts.tempObject.length);
      return withTarget.split(opts.root).join("");
    })
    .join("\n");
}
