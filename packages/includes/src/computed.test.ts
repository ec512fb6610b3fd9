import { describe, expect, it } from "vitest";
import { resolveComputed, TooManyAlternatives } from "./computed.js";
import type { MacroDefinition } from "./directives.js";

function table(...defs: MacroDefinition[]): Map<string, MacroDefinition[]> {
  const m = new Map<string, MacroDefinition[]>();
  for (const d of defs) m.set(d.name, [...(m.get(d.name) ?? []), d]);
  return m;
}

describe("resolveComputed", () => {
  it("expands an object-like macro to a quoted name", () => {
    expect(resolveComputed("HDR", table({ name: "HDR", body: '"config.h"' }))).toEqual([
      { form: "quote", name: "config.h" },
    ]);
  });

  it("builds an angle name from tokens", () => {
    expect(resolveComputed("SYS", table({ name: "SYS", body: "<sys/types.h>" }))).toEqual([
      { form: "angle", name: "sys/types.h" },
    ]);
  });

  it("follows the kernel's tracepoint stringification", () => {
    const macros = table(
      { name: "__stringify_1", params: ["x"], body: "#x" },
      { name: "__stringify", params: ["x"], body: "__stringify_1(x)" },
      { name: "TRACE_INCLUDE", params: ["system"], body: "__TRACE_INCLUDE(system)" },
      { name: "__TRACE_INCLUDE", params: ["system"], body: "__stringify(TRACE_INCLUDE_PATH/system.h)" },
      { name: "TRACE_INCLUDE_PATH", body: "trace/events" },
      { name: "TRACE_INCLUDE_FILE", body: "TRACE_SYSTEM" },
      { name: "TRACE_SYSTEM", body: "sched" },
      { name: "TRACE_SYSTEM", body: "irq" },
    );
    expect(resolveComputed("TRACE_INCLUDE(TRACE_INCLUDE_FILE)", macros)).toEqual([
      { form: "quote", name: "trace/events/sched.h" },
      { form: "quote", name: "trace/events/irq.h" },
    ]);
  });

  it("pastes tokens", () => {
    expect(resolveComputed("<PASTE(std, io).h>", table({ name: "PASTE", params: ["a", "b"], body: "a ## b" }))).toEqual(
      [{ form: "angle", name: "stdio.h" }],
    );
  });

  it("gives nothing for an operand no definition turns into a header name", () => {
    expect(resolveComputed("UNKNOWN", table())).toEqual([]);
  });

  it("gives up past the bound of alternatives", () => {
    const defs: MacroDefinition[] = [];
    for (let k = 0; k < 20; k++) defs.push({ name: "A", body: `"a${k}.h"` }, { name: "B", body: `"b${k}.h"` });
    expect(() => resolveComputed("A B A", table(...defs))).toThrow(TooManyAlternatives);
  });
});
