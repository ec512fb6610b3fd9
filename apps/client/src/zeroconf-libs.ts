/**
 * The DNS-SD code (with dbus-next and bonjour-service, about 0.5 MB), built as a file of its own
 * and loaded only when a host list says `+zeroconf`: every other start of the CLI or the agent
 * does not parse it (about 8 ms of CPU per start, measured).
 */
export { HelperBrowser, openDnsSd } from "@x/distcc-zeroconf";
