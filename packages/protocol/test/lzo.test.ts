// LZO1X against the vectors (bytes produced by distcc = liblzo2 lzo1x_1) and against liblzo2 itself.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { vectorPath } from "@x/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { DistccProtocolError, lzo1xCompress, lzo1xDecompress } from "../src/index.js";
import { loadLzoPairs } from "./vectors.js";

const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DistccProtocolError);
    return (err as DistccProtocolError).code;
  }
  return "no error";
}

describe("LZO1X vectors", () => {
  for (const pair of loadLzoPairs()) {
    it(`${pair.name}: decompresses exactly`, () => {
      expect(eq(lzo1xDecompress(pair.lzo), pair.raw)).toBe(true);
      expect(eq(lzo1xDecompress(pair.lzo, { sizeHint: pair.raw.length }), pair.raw)).toBe(true);
      expect(eq(lzo1xDecompress(pair.lzo, { sizeHint: 1 }), pair.raw)).toBe(true);
    });
    if (pair.distccProduced && pair.raw.length > 0) {
      it(`${pair.name}: compresses byte-identically to distcc (liblzo2 lzo1x_1)`, () => {
        expect(eq(lzo1xCompress(pair.raw), pair.lzo)).toBe(true);
      });
    }
  }
});

describe("LZO1X safety", () => {
  it("an empty input compresses to the end marker", () => {
    expect([...lzo1xCompress(new Uint8Array(0))]).toEqual([0x11, 0, 0]);
    expect(lzo1xDecompress(new Uint8Array([0x11, 0, 0])).length).toBe(0);
  });
  it("refuses a bomb beyond maxOutput", () => {
    const zeros = new Uint8Array(1 << 20);
    const c = lzo1xCompress(zeros);
    expect(c.length).toBeLessThan(5000);
    expect(code(() => lzo1xDecompress(c, { maxOutput: 1000 }))).toBe("DISTCC_ERR_LIMIT");
    expect(lzo1xDecompress(c, { maxOutput: 1 << 20 }).length).toBe(1 << 20);
  });
  it("refuses a huge zero-run length without looping forever", () => {
    // M3 with an extended length made of 100000 zero bytes: a bomb header.
    const evil = new Uint8Array(100_010);
    evil[0] = 0x14; // literal run of 3 ("abc") as first byte 17+3
    evil[1] = 97;
    evil[2] = 98;
    evil[3] = 99;
    evil[4] = 0x20; // M3, extended length
    expect(code(() => lzo1xDecompress(evil, { maxOutput: 1 << 20 }))).toBe("DISTCC_ERR_LIMIT");
  });
  it("every result is its own buffer, and a limit holds after a bigger output was made (the work space is reused)", () => {
    const a = new TextEncoder().encode("alpha alpha alpha alpha alpha ".repeat(50));
    const b = new TextEncoder().encode("beta beta beta beta beta beta ".repeat(50));
    const ca = lzo1xCompress(a);
    const snapshot = Uint8Array.from(ca);
    const cb = lzo1xCompress(b);
    expect(ca).toEqual(snapshot);
    expect(ca.buffer).not.toBe(cb.buffer);
    const da = lzo1xDecompress(ca);
    const db = lzo1xDecompress(cb);
    expect(Buffer.from(da).toString()).toBe(Buffer.from(a).toString());
    expect(Buffer.from(db).toString()).toBe(Buffer.from(b).toString());
    expect(da.byteLength).toBe(da.buffer.byteLength);
    // A megabyte decompressed first: the next call's smaller limit is still enforced.
    const big = lzo1xCompress(new Uint8Array(1 << 20));
    expect(lzo1xDecompress(big, { maxOutput: 1 << 20 }).length).toBe(1 << 20);
    expect(code(() => lzo1xDecompress(big, { maxOutput: (1 << 20) - 1 }))).toBe("DISTCC_ERR_LIMIT");
    expect(code(() => lzo1xDecompress(ca, { maxOutput: a.length - 1 }))).toBe("DISTCC_ERR_LIMIT");
    expect(lzo1xDecompress(ca, { maxOutput: a.length }).length).toBe(a.length);
  });
  it("rejects truncation, bad distances and trailing bytes", () => {
    const c = lzo1xCompress(new TextEncoder().encode("hello hello hello hello hello hello"));
    expect(code(() => lzo1xDecompress(c.subarray(0, c.length - 1)))).toBe("DISTCC_ERR_LZO");
    expect(code(() => lzo1xDecompress(new Uint8Array([...c, 0])))).toBe("DISTCC_ERR_LZO");
    expect(code(() => lzo1xDecompress(new Uint8Array(0)))).toBe("DISTCC_ERR_LZO");
    // An M2 match at distance 8 as the very first instruction: nothing to copy from.
    expect(code(() => lzo1xDecompress(new Uint8Array([0x5c, 0x00, 0x11, 0, 0])))).toBe("DISTCC_ERR_LZO");
  });
});

const python = "/usr/bin/python3";
function hasPythonLzo(): boolean {
  try {
    execFileSync(python, ["-c", "import lzo"], { stdio: "ignore" });
    return true;
  } catch (err) {
    // python exited non-zero (no lzo module), or there is no python: no reference to compare with.
    const e = err as NodeJS.ErrnoException & { status?: number | null };
    if (typeof e.status === "number" || e.code === "ENOENT") return false;
    throw err;
  }
}

describe("LZO1X against liblzo2 (python3-lzo)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lzo-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("python3-lzo is installed (Debian python3-lzo, in .ci/run)", () => {
    expect(hasPythonLzo()).toBe(true);
  });

  it("lzo1x_1 output is byte-identical on text, zeros, random and mixed inputs around the block sizes", () => {
    const text = readFileSync(vectorPath("lzo", "doti-hello-c.p2.raw"));
    const inputs: Uint8Array[] = [];
    let seed = 12345;
    const rand = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    for (const n of [
      1, 3, 4, 20, 21, 31, 32, 33, 52, 53, 100, 238, 239, 4096, 49151, 49152, 49153, 49172, 49184, 98304, 150001,
    ]) {
      const t = new Uint8Array(n),
        z = new Uint8Array(n),
        r = new Uint8Array(n),
        m = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        t[i] = text[i % text.length]!;
        r[i] = rand();
        m[i] = i % 3000 < 1000 ? 0 : i % 3000 < 2000 ? text[(i * 7) % text.length]! : rand() & 3;
      }
      inputs.push(t, z, r, m);
    }
    const files = inputs.map((data, i) => {
      const f = join(dir, `in${i}`);
      writeFileSync(f, data);
      return f;
    });
    const script =
      "import lzo,sys\nfor f in sys.argv[1:]:\n  open(f+'.lzo','wb').write(lzo.compress(open(f,'rb').read(),1,False))\n";
    execFileSync(python, ["-c", script, ...files]);
    const script2 =
      "import lzo,sys\nfor f in sys.argv[1:]:\n  d=open(f+'.ours','rb').read(); n=int(open(f+'.n').read()); assert lzo.decompress(d,False,n)==open(f,'rb').read(), f\n";
    inputs.forEach((data, i) => {
      const reference = readFileSync(`${files[i]}.lzo`);
      const ours = lzo1xCompress(data);
      expect(eq(ours, reference), `input ${i} (${data.length} bytes)`).toBe(true);
      expect(eq(lzo1xDecompress(reference), data)).toBe(true);
      writeFileSync(`${files[i]}.ours`, ours);
      writeFileSync(`${files[i]}.n`, String(data.length));
    });
    // liblzo2's own safe decoder accepts what we produce.
    execFileSync(python, ["-c", script2, ...files]);
  });
});
