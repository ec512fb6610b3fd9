// "The distributed build made the same code as a local one": objdump -d of two objects compared
// without objdump's header (it names the file, which differs between build directories).
import { spawnSync } from "node:child_process";

function disassembly(file) {
  const r = spawnSync("objdump", ["-d", file], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) return undefined;
  return r.stdout
    .split("\n")
    .filter((l) => !l.includes("file format"))
    .join("\n");
}

/** True when both objects disassemble, to the same code. */
export function sameCode(a, b) {
  const x = disassembly(a);
  return x !== undefined && x === disassembly(b);
}

/** The ELF machine of an object ("ARM", "Advanced Micro Devices X86-64"), or undefined. */
export function elfMachine(file) {
  const r = spawnSync("readelf", ["-h", file], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  return /^\s*Machine:\s*(.+)$/m.exec(r.stdout)?.[1].trim();
}
