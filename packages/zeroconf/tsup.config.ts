import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  // @x/distcc-errors is built in (JS and types), so this package's tarball installs alone.
  noExternal: ["@x/distcc-errors"],
  dts: { resolve: ["@x/distcc-errors"] },
  clean: true,
  sourcemap: true,
  target: "node20",
});
