// The local boot's programmatic API (see README "Try it locally"): other tests start the
// deployment with bootLocal() and talk to it through the returned LocalStack.
export { bootLocal, BootError, type BootOptions, type LocalStack, type LocalProcess } from "./boot";
export { renderDeployment, type RenderedDeployment } from "./render";
export type { LocalLayout, SynapseInstance, SynapsePorts } from "./layout";
export { missingPrerequisites } from "./prerequisites";
