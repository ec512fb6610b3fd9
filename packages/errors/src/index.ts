// @x/distcc-errors: the base class every error of the distcc packages and apps extends.
export { DistccError } from "./distcc-error.js";
