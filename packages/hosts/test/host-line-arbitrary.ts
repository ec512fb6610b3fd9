// Random hosts lines built from the grammar's pieces, including the odd ones distcc accepts or
// refuses (signs and spaces after '/', '#' inside entries, \v, empty ports, prefix options).
// Plain pieces are drawn far more often than odd ones so that most lines are still accepted.
import fc from "fast-check";

function piece(plain: string[], odd: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...plain) },
    { weight: 1, arbitrary: fc.constantFrom(...odd) },
  );
}

const hostNames = piece(
  ["a", "host", "b.example", "127.0.0.1", "[::1]", "[fe80::1%eth0]"],
  [
    "localhost",
    "h=5",
    "x#y",
    "h\vx",
    "--localslots",
    "zeroconf",
    "[::1",
    "::1",
    "[]",
    "",
    "[a/3]",
    "+zeroconf",
    "localhostx",
    "[x]",
  ],
);
export const limits = piece(
  ["", "", "", "/1", "/3", "/16"],
  ["/0", "/-2", "/+3", "/ 5", "/abc", "/", "/99999999999", "/007", "=2", "=0", "/3x", "/\v4"],
);
const ports = piece(
  ["", "", "", ":3632", ":3700"],
  [":", ":abc", ": 3700", ":-5", ":99999", ":12x", ":+7", ":0x10", ":\v9"],
);
const option = piece(
  [",lzo", ",lzo", ",down", ",auth", ",auth=princ"],
  [",cpp", ",auth=p/x", ",lzofoo", ",bogus", ",", ",zstd", ",cppx", ",downs", ",authz", ",lz4"],
);
export const options = fc.array(option, { maxLength: 3 }).map((o) => o.join(""));
const users = piece(["", "user", "u.v"], ["a,b", "x#", "a/b"]);
const commands = piece(["", "", ":/opt/bin/distccd"], [":", ":x#y", ":d/4", ":c:d"]);
export const tails = piece([""], ["/5", "junk", "#c", ":1", ",lzo", "]"]);

const tcpEntry = fc.tuple(hostNames, limits, ports, limits, options, tails).map((p) => p.join(""));
/** `[USER]@HOST[/N][:COMMAND][,OPTIONS]` entries, odd pieces included. */
export const sshEntry = fc
  .tuple(users, hostNames, limits, commands, options, tails)
  .map(([u, h, l, c, o, t]) => `${u}@${h}${l}${c}${o}${t}`);
const localEntry = fc
  .tuple(
    piece(
      ["localhost", "localhost/3", "localhost/1"],
      [
        "localhost/0",
        "localhost/",
        "localhost/ 2",
        "localhost=3",
        "localhost:3632",
        "localhost,lzo",
        "localhost/3,lzo",
        "localhost/-1",
      ],
    ),
    tails,
  )
  .map((p) => p.join(""));
const keyword = piece(
  ["--randomize", "--localslots=3", "--localslots_cpp=5"],
  [
    "--randomizefoo",
    "--localslots=0",
    "--localslots",
    "--localslots/2",
    "--localslots_cpp=0",
    "--localslots/0",
    "--localslots_cppx",
    "--localslots= 3",
    "--localslots=-1",
  ],
);
const separator = piece([" ", " ", "\t", "\n", "  "], ["\r", "\f", "\v", " # comment\n", "#c\r", "\r\n", " \v "]);

/** One entry of any kind (no `+zeroconf`: it would start mDNS discovery in a real distcc). */
const hostEntryText = fc.oneof(
  { weight: 5, arbitrary: tcpEntry },
  { weight: 2, arbitrary: sshEntry },
  { weight: 2, arbitrary: localEntry },
  { weight: 1, arbitrary: keyword },
);

/** A whole hosts line: 0-5 entries with random separators, maybe a trailing comment. */
export const hostLineText = fc
  .tuple(
    fc.constantFrom("", "", " ", "\n"),
    fc.array(fc.tuple(hostEntryText, separator), { maxLength: 5 }),
    fc.constantFrom("", "", " #tail", "\v"),
  )
  .map(([lead, entries, tail]) => lead + entries.map(([e, s]) => e + s).join("") + tail);

/**
 * Unstructured lines: up to 40 pieces drawn from the grammar's characters and keywords, so that
 * combinations nobody thought of get tried too (never `+zeroconf`: there is no 'f').
 */
export const hostLineChaos = fc
  .array(
    fc.constantFrom(
      ..." \t\n\r\f\v#/:=,@[]-+0123456789aehlostzcpdwnurx",
      "localhost",
      "lzo",
      "cpp",
      "auth",
      "down",
      "--localslots",
      "--randomize",
      "lz4",
      "127.0.0.1",
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));
