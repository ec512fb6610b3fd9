import { describe, expect, it } from "vitest";
import { DistccError } from "./index.js";

type WidgetErrorCode = "DISTCC_WIDGET_ERR_BENT" | "DISTCC_WIDGET_ERR_LOST";

class WidgetError extends DistccError<WidgetErrorCode> {}

class BentWidgetError extends WidgetError {
  constructor(readonly widget: string) {
    super("DISTCC_WIDGET_ERR_BENT", `${widget} is bent: straighten it`);
  }
}

describe("DistccError", () => {
  it("takes its name from the class that was thrown, subclasses included", () => {
    const err = new BentWidgetError("w1");
    expect(err.name).toBe("BentWidgetError");
    expect(String(err)).toBe("BentWidgetError: w1 is bent: straighten it");
    expect(err.stack?.split("\n")[0]).toBe("BentWidgetError: w1 is bent: straighten it");
    expect(new WidgetError("DISTCC_WIDGET_ERR_LOST", "gone").name).toBe("WidgetError");
  });

  it("keeps its code, its cause and every instanceof along the chain", () => {
    const cause = new Error("EACCES");
    const err = new WidgetError("DISTCC_WIDGET_ERR_LOST", "cannot find it", { cause });
    expect(err.code).toBe("DISTCC_WIDGET_ERR_LOST");
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(WidgetError);
    expect(err).toBeInstanceOf(DistccError);
    expect(err).toBeInstanceOf(Error);
    expect(new BentWidgetError("w2")).not.toHaveProperty("cause");
  });
});
