/** Protocol versions of distcc 3.4. 0 is served like 1 (spec 3). */
export type ProtocolVersion = 0 | 1 | 2 | 3;

/**
 * Body compression of versions 2 and 3. "lzo" is distcc's (LZO1X); "lz4" is OUR extension: the
 * same tokens carry LZ4 frames instead. Only ever use "lz4" when both ends are ours.
 */
export type Compression = "lzo" | "lz4";

/** One entry of a protocol-3 (pump) request: a file to create, or a symlink. */
export type PumpEntry =
  | {
      kind: "file";
      /** Absolute client path (NAME). */
      name: string;
      /** Uncompressed contents. */
      content: Uint8Array;
      /**
       * The FILE body exactly as on the wire (compressed), if known. Encoders send it unchanged
       * instead of compressing `content` (pump clients forward pre-compressed files); decoders fill it in.
       */
      compressed?: Uint8Array;
    }
  | { kind: "link"; name: string; target: string };

/** A compile request, with every payload uncompressed. */
export interface CompileRequest {
  version: ProtocolVersion;
  /** CDIR: the client's working directory (protocol 3 only). */
  cwd?: string;
  /** ARGV entries; argv[0] is the compiler. */
  argv: string[];
  /** DOTI: the preprocessed source (protocols 0, 1, 2). */
  source?: Uint8Array;
  /** NFIL entries (protocol 3). */
  files?: PumpEntry[];
}

/** A compile response, with every payload uncompressed. */
export interface CompileResponse {
  version: ProtocolVersion;
  /** STAT: the compiler's Unix wait status as on the wire (see parseWaitStatus). */
  status: number;
  stderr: Uint8Array;
  stdout: Uint8Array;
  /** DOTO: the object (empty when status != 0). */
  object: Uint8Array;
  /** DOTD: the dependency file (protocol 3, success only). */
  deps?: Uint8Array;
}

/** Does this version compress bodies (2 and 3)? */
export function isCompressedVersion(version: ProtocolVersion): boolean {
  return version >= 2;
}
