import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/cli.ts"],
  format: ["esm"],
  // The workspace packages are bundled in (JS and types): the server's tarball installs alone, with
  // only third-party dependencies from the registry (scripts/pack.sh, docs/install.md).
  dts: { entry: "src/index.ts", resolve: [/^@x\//] },
  noExternal: [/^@x\//],
  // --zeroconf's libraries (dbus-next, bonjour-service) are bundled too, into chunks loaded only by
  // --zeroconf (they are imported dynamically). They are CommonJS: their require() of Node's modules
  // needs a real require in these ESM files. usocket (dbus-next's optional native addon, abstract
  // sockets only) and x11 (a session bus named by an X window) stay out: never used here.
  banner: {
    js: 'import { createRequire as __distccCreateRequire } from "node:module";\nconst require = __distccCreateRequire(import.meta.url);',
  },
  external: ["usocket", "x11"],
  clean: true,
  sourcemap: true,
  target: "node20",
});
