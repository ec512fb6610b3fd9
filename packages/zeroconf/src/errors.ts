import { DistccError } from "@x/distcc-errors";

export type ZeroconfErrorCode =
  | "DISTCC_ZEROCONF_ERR_NO_BACKEND" // neither Avahi nor a multicast socket could be used
  | "DISTCC_ZEROCONF_ERR_AVAHI" // the avahi-daemon refused or failed a request
  | "DISTCC_ZEROCONF_ERR_CLOSED"; // the backend was closed

/** Anything discovery or registration could not do, with a `code` to tell the cases apart. */
export class ZeroconfError extends DistccError<ZeroconfErrorCode> {}
