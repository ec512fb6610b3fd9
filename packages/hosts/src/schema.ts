import { z } from "zod";
import { HOST_WARNING_CODES, type HostList } from "./types.js";

// The shapes parseHostList returns, so configs and JSON output are checked the same way. Host
// names may not contain what ends them in the grammar (whitespace other than \v, '/', ',').
const hostName = z
  .string()
  .min(1)
  .regex(/^[^/, \t\n\r\f]+$/, "a host name without '/', ',' or whitespace");
const int32 = z.number().int().min(-2147483648).max(2147483647);

const remote = {
  spec: z.string(),
  host: hostName,
  limit: int32,
  protocol: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  compression: z.enum(["none", "lzo", "lz4"]),
  cpp: z.boolean(),
  down: z.boolean(),
  auth: z.union([z.string().min(1), z.literal(true)]).optional(),
  options: z.array(z.string()),
};

const localHostEntrySchema = z.object({ kind: z.literal("local"), spec: z.string(), limit: int32 });

const tcpHostEntrySchema = z.object({ kind: z.literal("tcp"), ...remote, port: int32 });

const sshHostEntrySchema = z.object({
  kind: z.literal("ssh"),
  ...remote,
  host: hostName.refine((h) => !h.includes(":"), "an ssh host name without ':'"),
  user: z.string().min(1).optional(),
  command: z.string().min(1).optional(),
});

export const hostEntrySchema = z.discriminatedUnion("kind", [
  localHostEntrySchema,
  tcpHostEntrySchema,
  sshHostEntrySchema,
]);

export const hostWarningSchema = z.object({
  code: z.enum(HOST_WARNING_CODES),
  entry: z.string(),
  column: z.number().int().min(0),
  message: z.string(),
});

export const hostListSchema: z.ZodType<HostList> = z.object({
  hosts: z.array(hostEntrySchema),
  localSlots: int32,
  localSlotsCpp: int32,
  randomize: z.boolean(),
  zeroconf: z.boolean(),
  zeroconfIndex: z.number().int().min(0).optional(),
  warnings: z.array(hostWarningSchema),
});
