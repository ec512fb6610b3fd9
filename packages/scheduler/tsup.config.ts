import { defineConfig } from "tsup";

export default defineConfig({
  // `sim` is the subpath export @x/distcc-scheduler/sim: the farm simulator, kept out of the
  // entry an agent loads.
  entry: { index: "src/index.ts", sim: "src/sim/index.ts" },
  format: ["esm"],
  // @x/distcc-errors is built in (JS and types), so this package's tarball installs alone.
  noExternal: ["@x/distcc-errors"],
  dts: { resolve: ["@x/distcc-errors"] },
  clean: true,
  sourcemap: true,
  target: "node20",
});
