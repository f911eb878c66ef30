// Policy pack entry point: `pulumi preview --policy-pack policy`.
// Constructing the PolicyPack starts the policy server, so nothing imports this file but Pulumi.
import { PolicyPack } from "@pulumi/policy";
import { RESOURCE_POLICIES, STACK_POLICIES } from "./policies";

new PolicyPack("matrix-safety", {
    policies: [...RESOURCE_POLICIES, ...STACK_POLICIES],
});
