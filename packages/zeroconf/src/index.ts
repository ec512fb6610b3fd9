export { ZeroconfError, type ZeroconfErrorCode } from "./errors.js";
export type { BrowseEvents, Browsing, DnsSdBackend, FoundService, Registration, ServiceToPublish } from "./types.js";
export {
  DISTCC_SERVICE_TYPE,
  distccHostFor,
  distccServerTxt,
  distccSubtype,
  dnssdLabelChars,
  isValidSubtype,
  type ServerTxtFacts,
} from "./distcc-records.js";
export { openAvahi, parseTxt, type AvahiOptions } from "./avahi.js";
export { openMdns, type MdnsOptions } from "./mdns.js";
export { openDnsSd, type OpenBackendOptions } from "./open-backend.js";
export { HelperBrowser, type FoundHelper } from "./helper-browser.js";
