// A minimal Matrix client-server API client for the scenario, the faults and
// the benchmark: plain fetch, bounded timeouts, no retries unless asked.
import { createHmac, randomBytes } from "node:crypto";
import * as fs from "node:fs";

export class MatrixError extends Error {
    constructor(readonly status: number, readonly body: any, what: string) {
        super(`${what}: HTTP ${status} ${JSON.stringify(body)}`);
    }
}

export interface Session {
    readonly userId: string;
    readonly accessToken: string;
    readonly deviceId: string;
}

let txnCounter = 0;
export const newTxnId = () => `t${Date.now()}-${process.pid}-${++txnCounter}-${randomBytes(3).toString("hex")}`;

export async function call(baseUrl: string, method: string, path: string, opts: { token?: string; body?: unknown; raw?: Buffer; contentType?: string; timeoutMs?: number } = {}): Promise<any> {
    const headers: Record<string, string> = {};
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    let body: string | Buffer | undefined;
    if (opts.raw) {
        body = opts.raw;
        headers["Content-Type"] = opts.contentType ?? "application/octet-stream";
    } else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers["Content-Type"] = "application/json";
    }
    const res = await fetch(baseUrl + path, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(opts.timeoutMs ?? 60000) });
    const text = await res.text();
    let parsed: any = text;
    try {
        parsed = text ? JSON.parse(text) : {};
    } catch {
        /* not JSON */
    }
    if (!res.ok) throw new MatrixError(res.status, parsed, `${method} ${path.replace(/access_token=[^&]+/, "access_token=...")}`);
    return parsed;
}

/** Binary GET (media). */
export async function getBytes(baseUrl: string, path: string, token?: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
    const res = await fetch(baseUrl + path, { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(60000) });
    return { status: res.status, type: res.headers.get("content-type"), bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Registers a user with the shared-secret admin API (/_synapse/admin/v1/register), as register_new_matrix_user does. */
export async function registerWithSharedSecret(adminUrl: string, secretFile: string, username: string, password: string, admin = false): Promise<Session> {
    const secret = fs.readFileSync(secretFile, "utf8").trim();
    const { nonce } = await call(adminUrl, "GET", "/_synapse/admin/v1/register");
    const mac = createHmac("sha1", secret)
        .update(nonce).update("\0").update(username).update("\0").update(password).update("\0").update(admin ? "admin" : "notadmin")
        .digest("hex");
    const r = await call(adminUrl, "POST", "/_synapse/admin/v1/register", { body: { nonce, username, password, admin, mac } });
    return { userId: r.user_id, accessToken: r.access_token, deviceId: r.device_id };
}

export async function login(baseUrl: string, user: string, password: string): Promise<Session> {
    const r = await call(baseUrl, "POST", "/_matrix/client/v3/login", {
        body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password, initial_device_display_name: "local scenario" },
    });
    return { userId: r.user_id, accessToken: r.access_token, deviceId: r.device_id };
}

export const enc = encodeURIComponent;

export async function sendMessage(baseUrl: string, s: Session, roomId: string, body: string, txnId = newTxnId(), timeoutMs?: number): Promise<string> {
    const r = await call(baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${enc(txnId)}`, {
        token: s.accessToken,
        body: { msgtype: "m.text", body },
        ...(timeoutMs ? { timeoutMs } : {}),
    });
    return r.event_id as string;
}

/** One /sync call; `timeout` is the long-poll in ms. */
export function sync(baseUrl: string, s: Session, since: string | undefined, timeout = 0, filter?: string): Promise<any> {
    const q = new URLSearchParams({ timeout: String(timeout) });
    if (since) q.set("since", since);
    if (filter) q.set("filter", filter);
    return call(baseUrl, "GET", `/_matrix/client/v3/sync?${q}`, { token: s.accessToken, timeoutMs: timeout + 60000 });
}

/** Follows /sync from `since` until `done(batch)` says so, or the bound passes; returns the last since token. */
export async function syncUntil(baseUrl: string, s: Session, since: string | undefined, done: (batch: any) => boolean, boundMs: number, filter?: string): Promise<{ ok: boolean; since: string | undefined }> {
    const deadline = Date.now() + boundMs;
    let token = since;
    while (Date.now() < deadline) {
        const batch = await sync(baseUrl, s, token, Math.max(0, Math.min(5000, deadline - Date.now())), filter);
        token = batch.next_batch;
        if (done(batch)) return { ok: true, since: token };
    }
    return { ok: false, since: token };
}
