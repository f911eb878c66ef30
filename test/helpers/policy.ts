// Runs the policy pack over resources the real program registered under mocks,
// as `pulumi preview --policy-pack policy` would: every resource policy (each of
// its validators, awaited), then every stack policy. Returns one line per violation.
import type { ReportViolation } from "@pulumi/policy";
import { RESOURCE_POLICIES, STACK_POLICIES } from "../../policy/policies";
import { unwrapSecrets } from "../../tools/mock-runtime";

/** What every test harness records of a registration (the component-level ones have no URN). */
export interface PolicyInput {
    readonly type: string;
    readonly name: string;
    readonly inputs: unknown;
    readonly urn?: string;
}

/** Per-policy config, as `--policy-pack-config` would pass it (e.g. `{ "no-world-open-ingress": { edgeHttp: true } }`). */
export type PolicyConfig = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** A policy's config: its schema's defaults overridden by what the caller passes. */
function configOf(policy: { name: string; configSchema?: { properties?: Record<string, { default?: unknown }> } }, config: PolicyConfig): object {
    const defaults = Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {}).map(([k, v]) => [k, v.default]));
    return { ...defaults, ...(config[policy.name] ?? {}) };
}

export async function policyViolations(registered: readonly PolicyInput[], config: PolicyConfig = {}): Promise<string[]> {
    const found: string[] = [];
    const resources = registered.map((r) => ({ type: r.type, name: r.name, urn: r.urn ?? `urn:pulumi:test::matrix::${r.type}::${r.name}`, props: unwrapSecrets(r.inputs) }));
    for (const policy of RESOURCE_POLICIES) {
        const validators = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
        for (const r of resources) {
            const report: ReportViolation = (message) => found.push(`${policy.name}: ${r.type} ${r.name}: ${message}`);
            const getConfig = () => configOf(policy as never, config);
            for (const validate of validators) await validate({ ...r, stackTags: new Map(), getConfig, notApplicable: () => undefined as never } as never, report);
        }
    }
    for (const policy of STACK_POLICIES) {
        await policy.validateStack({ resources: resources as never, stackTags: new Map() } as never, (message) => found.push(`${policy.name}: ${message}`));
    }
    return found;
}
