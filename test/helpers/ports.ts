// Free loopback ports for tests: the same kernel-chosen ports the local boot uses.
export { freePort, freePorts } from "../../tools/local/ports";
