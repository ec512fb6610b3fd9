import { JOB_RESULTS } from "./job-result.js";
import type { StatsSnapshot } from "./stats.js";
import type { SystemFigures } from "./system-figures.js";

/** One word for a line of the page: client-chosen names must not add lines or fields. */
function word(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this replaces.
  return text.replace(/[\s\x00-\x1f\x7f]/g, "?");
}

/**
 * distccd's stats page body (spec 8.8), field for field and in the same order, so monitors that
 * parse distccd's page work unchanged. LF line ends.
 */
export function renderDistccdStats(s: StatsSnapshot, sys: SystemFigures): string {
  const r = s.results;
  const lines = [
    "argv /distccd",
    "<distccstats>",
    `dcc_tcp_accept ${s.tcpAccept}`,
    `dcc_rej_bad_req ${r.REJ_BAD_REQ}`,
    `dcc_rej_overload ${r.REJ_OVERLOAD}`,
    `dcc_compile_ok ${r.COMPILE_OK}`,
    `dcc_compile_error ${r.COMPILE_ERROR}`,
    `dcc_compile_timeout ${r.COMPILE_TIMEOUT}`,
    `dcc_cli_disconnect ${r.CLI_DISCONN}`,
    `dcc_other ${r.OTHER}`,
    `dcc_longest_job ${word(s.longestJob?.input || "none")}`,
    `dcc_longest_job_compiler ${word(s.longestJob?.compiler || "none")}`,
    `dcc_longest_job_time_msecs ${s.longestJob?.ms ?? 0}`,
    `dcc_max_kids ${s.maxKids}`,
    `dcc_avg_kids1 ${Math.round(s.avgKids[0])}`,
    `dcc_avg_kids2 ${Math.round(s.avgKids[1])}`,
    `dcc_avg_kids3 ${Math.round(s.avgKids[2])}`,
    `dcc_current_load ${sys.currentLoad}`,
    `dcc_load1 ${sys.loadAverage[0].toFixed(2)}`,
    `dcc_load2 ${sys.loadAverage[1].toFixed(2)}`,
    `dcc_load3 ${sys.loadAverage[2].toFixed(2)}`,
    `dcc_num_compiles1 ${s.compiles[0]}`,
    `dcc_num_compiles2 ${s.compiles[1]}`,
    `dcc_num_compiles3 ${s.compiles[2]}`,
    `dcc_num_procstate_D ${sys.procsInStateD}`,
    `dcc_max_RSS ${sys.maxRss.kb}`,
    `dcc_max_RSS_name (${word(sys.maxRss.name)})`,
    "dcc_io_rate -1",
    `dcc_free_space ${sys.freeSpaceMb} MB`,
    "</distccstats>",
  ];
  return `${lines.join("\n")}\n`;
}

/** The same figures as one JSON document (pretty, stable keys). */
export function renderJsonStats(s: StatsSnapshot, sys: SystemFigures): string {
  return `${JSON.stringify({ ...s, system: sys }, null, 2)}\n`;
}

function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Prometheus text exposition format 0.0.4. */
export function renderPrometheus(s: StatsSnapshot, sys: SystemFigures): string {
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [string, number][]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
  };
  metric("distcc_server_connections_accepted_total", "counter", "TCP connections accepted (after the allow list).", [
    ["", s.tcpAccept],
  ]);
  metric(
    "distcc_server_jobs_total",
    "counter",
    "Finished connections by distccd result name.",
    JOB_RESULTS.map((r) => [`{result="${r}"}`, s.results[r]]),
  );
  metric("distcc_server_jobs_running", "gauge", "Compilers running now.", [["", s.running]]);
  metric("distcc_server_jobs_queued", "gauge", "Complete requests waiting for a compile slot.", [["", s.queued]]);
  metric("distcc_server_connections_open", "gauge", "Client connections open now.", [["", s.connections]]);
  metric("distcc_server_slots", "gauge", "Compile slots (--jobs).", [["", s.maxKids]]);
  if (s.memory) {
    metric(
      "distcc_server_request_memory_bytes",
      "gauge",
      "Bytes held by requests being read or waiting and answers being sent.",
      [["", s.memory.used]],
    );
    metric("distcc_server_request_memory_limit_bytes", "gauge", "The budget of those bytes (--max-request-memory).", [
      ["", s.memory.capacity],
    ]);
  }
  const buckets: [string, number][] = s.compileTime.buckets.map((b) => [`_bucket{le="${b.le}"}`, b.count]);
  buckets.push(
    [`_bucket{le="+Inf"}`, s.compileTime.count],
    ["_sum", s.compileTime.sumSeconds],
    ["_count", s.compileTime.count],
  );
  out.push(
    "# HELP distcc_server_compile_seconds Time the compiler ran per job.",
    "# TYPE distcc_server_compile_seconds histogram",
    ...buckets.map(([suffix, v]) => `distcc_server_compile_seconds${suffix} ${v}`),
  );
  metric("distcc_server_received_bytes_total", "counter", "Request bytes read from clients.", [["", s.bytesIn]]);
  metric("distcc_server_sent_bytes_total", "counter", "Response bytes written to clients.", [["", s.bytesOut]]);
  const compilers = Object.entries(s.perCompiler);
  metric(
    "distcc_server_compiler_jobs_total",
    "counter",
    "Compiles per compiler name and outcome.",
    compilers.flatMap(([c, f]) => [
      [`{compiler="${label(c)}",outcome="ok"}`, f.ok] as [string, number],
      [`{compiler="${label(c)}",outcome="failed"}`, f.failed] as [string, number],
    ]),
  );
  metric(
    "distcc_server_compiler_seconds_total",
    "counter",
    "Compiler run time per compiler name.",
    compilers.map(([c, f]) => [`{compiler="${label(c)}"}`, f.compileMs / 1000]),
  );
  metric("distcc_server_load_average", "gauge", "Machine load average.", [
    ['{minutes="1"}', sys.loadAverage[0]],
    ['{minutes="5"}', sys.loadAverage[1]],
    ['{minutes="15"}', sys.loadAverage[2]],
  ]);
  metric("distcc_server_free_space_megabytes", "gauge", "Free space in the temp directory.", [["", sys.freeSpaceMb]]);
  return `${out.join("\n")}\n`;
}
