// The sizing model: pure, no Pulumi. See interpolate.ts for the rule between tiers.
export * from "./types";
export { computePlan, SizingError } from "./plan";
export { floorPlanOf } from "./floor";
export { CcuRangeError } from "./interpolate";
export { BUDGET_PERCENT, withinBudget } from "./connections";
export { MINIO } from "./minio";
export { parseSize } from "./units";
