#!/usr/bin/env node
/** distcc-client: client commands, and the Node launcher for compile jobs. */
import { EXIT_DISTCC_FAILED } from "@x/distcc-protocol";
import { agentControl, runCommand } from "./commands.js";
import { classifyInvocation } from "./invocation.js";
import { runNodeLauncher } from "./launcher/node-launcher.js";

async function main(): Promise<void> {
  // The sh fallback launcher of `links` passes the name it was called by (masquerade).
  // Run as `node .../cli.js` (or the npm bin) it is distcc-client; through a link named gcc it masquerades.
  const script = process.argv[1] ?? "";
  const argv0 = process.env.DISTCC_CLIENT_ARGV0 ?? (/(^|\/)cli\.js$/.test(script) ? "distcc-client" : script);
  delete process.env.DISTCC_CLIENT_ARGV0;
  const argv = [argv0, ...process.argv.slice(2)];
  const inv = classifyInvocation(argv, process.env, process.cwd());
  if (inv.kind === "command") {
    if (inv.command === "agent") {
      if (inv.args[0] === "stop" || inv.args[0] === "status") {
        const r = agentControl(inv.args[0], process.env);
        process.stdout.write(r.stdout);
        process.stderr.write(r.stderr);
        process.exitCode = r.code;
        return;
      }
      const { runAgent } = await import("./agent-main.js");
      process.exit(await runAgent(process.env));
    }
    if (inv.command === "mon" && !inv.args.includes("--once")) {
      const { runMon } = await import("./mon/mon-command.js");
      process.exitCode = await runMon(inv.args, process.env, process.stdout);
      return;
    }
    const r = await runCommand(inv.command, inv.args, process.env, { cwd: process.cwd() });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    process.exitCode = r.code;
    return;
  }
  await runNodeLauncher(argv);
}

main().catch((err: unknown) => {
  process.stderr.write(`distcc-client: ${(err as Error).message}\n`);
  process.exit(EXIT_DISTCC_FAILED);
});
