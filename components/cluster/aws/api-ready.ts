// Waits until the Kubernetes API answers /readyz through the endpoint the
// program's Kubernetes provider will use, verifying the cluster CA. The
// provider depends on it, so no Helm release or object is sent before
// `kubeadm init` finished and the load balancer routes to a ready API server.
//
// A dynamic resource: its provider is serialized into the state and run by
// the Pulumi engine, so everything it uses is required inside its functions.
import * as pulumi from "@pulumi/pulumi";

export interface ApiReadyInputs {
    /** https://<host>:<port>; /readyz is appended. */
    readonly url: string;
    readonly caCertPem: string;
    readonly attempts: number;
    readonly intervalMs: number;
}

/**
 * Bounded wait: a first control-plane server needs its packages, kubeadm init
 * and the load balancer's health checks (3 x 10 s) before it is ready; 90 x 10 s
 * = 15 minutes, the same bound the servers' own join waits use.
 */
export const API_READY_ATTEMPTS = 90;
export const API_READY_INTERVAL_MS = 10_000;

/** One GET of <url>/readyz verifying the CA; resolves to the HTTP status, rejects on a connection or TLS failure. */
export function readyzOnce(url: string, caCertPem: string, timeoutMs = 5000): Promise<number> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const https = require("https") as typeof import("https");
    return new Promise((resolve, reject) => {
        const req = https.get(`${url}/readyz`, { ca: caCertPem, timeout: timeoutMs }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on("error", reject);
    });
}

/** Polls /readyz until it answers 200, at most `attempts` times; throws with the last failure. */
export async function waitForReadyz(inputs: ApiReadyInputs, probe: (url: string, ca: string) => Promise<number> = readyzOnce): Promise<number> {
    let last = "never tried";
    for (let i = 1; i <= inputs.attempts; i++) {
        try {
            const status = await probe(inputs.url, inputs.caCertPem);
            if (status === 200) return i;
            last = `HTTP ${status}`;
        } catch (e) {
            last = (e as Error).message;
        }
        if (i < inputs.attempts) await new Promise((r) => setTimeout(r, inputs.intervalMs));
    }
    throw new Error(`the Kubernetes API at ${inputs.url} was not ready after ${inputs.attempts} attempts (last: ${last}); check matrix:cluster.adminCidrs / apiAccess and the control-plane servers' boot log`);
}

const readinessProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: ApiReadyInputs) {
        await waitForReadyz(inputs);
        return { id: inputs.url, outs: inputs };
    },
    async diff(_id: string, olds: ApiReadyInputs, news: ApiReadyInputs) {
        return { changes: olds.url !== news.url || olds.caCertPem !== news.caCertPem };
    },
    async update(_id: string, _olds: ApiReadyInputs, news: ApiReadyInputs) {
        await waitForReadyz(news);
        return { outs: news };
    },
};

export interface ApiReadyArgs {
    readonly url: pulumi.Input<string>;
    readonly caCertPem: pulumi.Input<string>;
}

/** The API answering /readyz; `url` resolves only once it does, so whatever is built from it waits. */
export class ApiReady extends pulumi.dynamic.Resource {
    declare readonly url: pulumi.Output<string>;

    constructor(name: string, args: ApiReadyArgs, opts?: pulumi.CustomResourceOptions) {
        super(readinessProvider, name, { ...args, attempts: API_READY_ATTEMPTS, intervalMs: API_READY_INTERVAL_MS }, opts, "matrix-scale", "ApiReady");
    }
}
