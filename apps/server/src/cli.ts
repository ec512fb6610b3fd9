#!/usr/bin/env node
// The distcc-server command: parses flags and runs the server (all logic lives in cli-main.ts).
import { EXIT_DISTCC_FAILED } from "@x/distcc-protocol";
import { runCli } from "./cli-main.js";

runCli(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (err: unknown) => {
    process.stderr.write(`distcc-server: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(EXIT_DISTCC_FAILED);
  },
);
