/**
 * The compiler name `distcc-client doctor` sends to learn what kind of server answers: no server
 * has it, so ours refuses it with an explained answer and a distccd closes. Shared so that our
 * server can tell the probe from a real refused job (it logs it at info and keeps it out of the
 * failure counts).
 */
export const DOCTOR_PROBE_COMPILER = "distcc-doctor-probe-gcc";
