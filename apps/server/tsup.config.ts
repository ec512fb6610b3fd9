import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/cli.ts"],
  format: ["esm"],
  // The workspace packages are bundled in (JS and types): the server's tarball installs alone, with
  // only third-party dependencies from the registry (scripts/pack.sh, docs/install.md).
  dts: { entry: "src/index.ts", resolve: [/^@x\//] },
  noExternal: [/^@x\//],
  clean: true,
  sourcemap: true,
  target: "node20",
});
