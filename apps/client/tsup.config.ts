import { defineConfig } from "tsup";

export default defineConfig([
  // The library API. The workspace packages are bundled in (JS and types) like in the processes
  // below, so the client's tarball installs alone (scripts/pack.sh, docs/install.md).
  {
    entry: ["src/index.ts"],
    format: ["esm"],
    dts: { entry: "src/index.ts", resolve: [/^@x\//] },
    noExternal: [/^@x\//],
    sourcemap: true,
    target: "node20",
  },
  // The processes a build starts: each is one self-contained file. On a weak client every ms of the
  // agent's start-up is build time; resolving and evaluating ~100 module files (zod's alone cost
  // ~85 ms of CPU) takes twice as long as one bundled file (measured: 145 -> 60 ms).
  // undici is its own file, loaded by `mon` alone (src/mon/http-client.ts says why): the CLI keeps
  // `import("./http-client.js")` as it is, which finds dist/http-client.js beside it; the same for
  // +zeroconf's dist/zeroconf-libs.js.
  {
    entry: ["src/cli.ts", "src/agent-main.ts"],
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    splitting: false,
    noExternal: [/^@x\//, "zod"],
    external: ["./http-client.js", "./zeroconf-libs.js"],
  },
  {
    entry: { "http-client": "src/mon/http-client.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    noExternal: ["undici"],
    // undici is CommonJS and requires Node's modules: an ES module has no `require` of its own.
    banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
  },
  // +zeroconf's code and libraries (dbus-next, bonjour-service: about 0.5 MB) in a file of their
  // own, loaded by `+zeroconf` alone (src/zeroconf-libs.ts); the client keeps no dependencies.
  // CommonJS too. usocket (dbus-next's optional native addon, abstract sockets only) stays out:
  // dbus-next tries it inside a try; x11 is for a session bus named by an X window, never used.
  {
    entry: { "zeroconf-libs": "src/zeroconf-libs.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    splitting: false,
    noExternal: [/^@x\//, "dbus-next", "bonjour-service"],
    external: ["usocket", "x11"],
    banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
  },
]);
