import { describe, expect, it } from "vitest";
import { HelperBrowser, type BrowseEvents, type DnsSdBackend } from "../src/index.js";

// The browse itself runs against Avahi and real multicast in apps/client/test/zeroconf.test.ts; here
// the events a backend reports are fed by hand, to pin what the list makes of them.
describe("HelperBrowser", () => {
  it("keeps one address per service, drops it on its goodbye, and says when the list changes", async () => {
    let events: BrowseEvents | undefined;
    const backend: DnsSdBackend = {
      kind: "mdns" as const,
      description: "test",
      publish: () => Promise.reject(new Error("not here")),
      browse: async (_type: string, e: BrowseEvents) => {
        events = e;
        return { settled: Promise.resolve(), stop: async () => undefined };
      },
      close: async () => undefined,
    };
    const browser = await HelperBrowser.start(backend);
    let changes = 0;
    browser.onChange(() => changes++);
    const svc = {
      key: "distcc@a._distcc._tcp.local",
      name: "distcc@a",
      host: "a.local",
      address: "10.0.0.1",
      port: 3632,
      txt: { jobs: "4" },
    };
    events!.up(svc);
    events!.up({ ...svc, address: "10.0.0.9" }); // the same helper seen on another interface
    expect(browser.helpers().map((h) => h.spec)).toEqual(["10.0.0.1:3632/4"]);
    expect(changes).toBe(1);
    events!.up({ ...svc, txt: { jobs: "6" } });
    expect(browser.helpers().map((h) => h.spec)).toEqual(["10.0.0.1:3632/6"]);
    events!.down(svc.key);
    expect(browser.helpers()).toEqual([]);
    expect(changes).toBe(3);
  });
});
