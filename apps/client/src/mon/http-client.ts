/**
 * undici, on its own: built as its own file (dist/http-client.js, see tsup.config.ts) and imported
 * only when `mon` asks the helpers. Inlined in the CLI (1.1 MB more to parse), every start of the
 * CLI, compiles included, cost ~15 ms more CPU (`node dist/cli.js --version`: 113 -> 128 ms).
 */
export { Agent, request } from "undici";
