// Runs one component under Pulumi mocks and returns what it registered. Used
// for the data layer on its own; the whole program runs through
// tools/mock-runtime.ts.
import * as pulumi from "@pulumi/pulumi";

export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
}

/** Marker the SDK puts on secret values it serializes. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export const mockPassword = (name: string) => `MOCKSECRET${name.replace(/[^A-Za-z0-9]/g, "")}`;

export async function registerUnderMocks(build: () => unknown): Promise<Registered[]> {
    const seen: Registered[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                seen.push({ type: args.type, name: args.name, inputs: args.inputs });
                const state: Record<string, unknown> = { ...args.inputs };
                if (args.type === "random:index/randomPassword:RandomPassword") state.result = mockPassword(args.name);
                if (args.type === "aws:iam/accessKey:AccessKey") state.secret = mockPassword(args.name);
                return { id: `${args.name}-id`, state };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                throw new Error(`unexpected invoke ${args.token}`);
            },
        },
        "matrix-scale",
        "test",
        false,
    );
    build();
    // Registrations are asynchronous: wait until the count is stable (bounded).
    let last = -1;
    for (let i = 0; i < 200 && last !== seen.length; i++) {
        last = seen.length;
        await new Promise((r) => setTimeout(r, 25));
    }
    return seen;
}

/** Every string inside a value, with secret wrappers unwrapped, tagging whether each was inside a secret. */
export function strings(value: unknown, inSecret = false, out: { value: string; secret: boolean }[] = []) {
    if (typeof value === "string") out.push({ value, secret: inSecret });
    else if (Array.isArray(value)) value.forEach((v) => strings(v, inSecret, out));
    else if (value && typeof value === "object") {
        const o = value as Record<string, unknown>;
        const secret = inSecret || Object.values(o).includes(SECRET_SIG);
        for (const [k, v] of Object.entries(o)) if (v !== SECRET_SIG || k.length !== 32) strings(v, secret, out);
    }
    return out;
}
