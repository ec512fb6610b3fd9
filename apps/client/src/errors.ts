/** The codes of every error distcc-client throws. */
export type ClientErrorCode =
  | "DISTCC_CLIENT_ERR_AGENT_DIR" // the agent's directory is not private to the user
  | "DISTCC_CLIENT_ERR_AGENT_LISTEN" // the agent cannot listen on (or take over) its socket
  | "DISTCC_CLIENT_ERR_UNSAFE_AGENT_PATH" // a path of the agent's is not the user's own
  | "DISTCC_CLIENT_ERR_LAUNCH_PROTOCOL" // a launcher<->agent message is malformed
  | "DISTCC_CLIENT_ERR_NATIVE_BUILD" // the native launcher cannot be built
  | "DISTCC_CLIENT_ERR_CANCELLED" // a job was cancelled while it waited or wrote its output
  | "DISTCC_CLIENT_ERR_NO_PLACE" // no place can ever take a job
  | "DISTCC_CLIENT_ERR_CPP_OUTPUT" // the preprocessor's output cannot be read
  | "DISTCC_CLIENT_ERR_PUMP_FILE_CHANGED" // a file sent in pump mode changed while it was read
  | "DISTCC_CLIENT_ERR_STATS_SETTING"; // DISTCC_STATS cannot be read (the farm view)
