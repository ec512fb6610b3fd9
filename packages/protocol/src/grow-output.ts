import { DistccProtocolError } from "./errors.js";

/**
 * A bigger output buffer for the decompressors (LZO1X, LZ4) holding the first `used` bytes: at
 * least `want`, doubling, capped at maxOutput. `format` names the compression in the limit error.
 */
export function growOutput(out: Uint8Array, used: number, want: number, maxOutput: number, format: string): Uint8Array {
  if (want > maxOutput) {
    throw new DistccProtocolError("DISTCC_ERR_LIMIT", `${format} output would exceed the limit of ${maxOutput} bytes`);
  }
  let next = out.length * 2;
  while (next < want) next *= 2;
  const bigger = new Uint8Array(Math.min(next, maxOutput));
  bigger.set(out.subarray(0, used));
  return bigger;
}
