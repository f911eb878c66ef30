// A minimal TURN client (RFC 5766/8656 over UDP) for proofs against the real
// coturn: Allocate with long-term credentials, CreatePermission, Send and Data
// indications. Only what the proofs exercise; every response is decoded, so a
// test asserts on coturn's actual answer (codes, relayed address), not on logs.
import { createHash, createHmac, randomBytes } from "node:crypto";
import * as dgram from "node:dgram";

const MAGIC = 0x2112a442;
export const METHOD = { allocate: 0x003, createPermission: 0x008, send: 0x006, data: 0x007 } as const;
const ATTR = {
    username: 0x0006,
    messageIntegrity: 0x0008,
    errorCode: 0x0009,
    xorPeerAddress: 0x0012,
    data: 0x0013,
    realm: 0x0014,
    nonce: 0x0015,
    xorRelayedAddress: 0x0016,
    requestedTransport: 0x0019,
    xorMappedAddress: 0x0020,
} as const;

export interface Address {
    readonly address: string;
    readonly port: number;
}

export interface TurnResponse {
    readonly success: boolean;
    readonly error?: { readonly code: number; readonly reason: string };
    readonly realm?: string;
    readonly nonce?: string;
    readonly relayed?: Address;
    readonly mapped?: Address;
}

function attr(type: number, value: Buffer): Buffer {
    const pad = (4 - (value.length % 4)) % 4;
    const head = Buffer.alloc(4);
    head.writeUInt16BE(type, 0);
    head.writeUInt16BE(value.length, 2);
    return Buffer.concat([head, value, Buffer.alloc(pad)]);
}

function xorAddress(a: Address): Buffer {
    const b = Buffer.alloc(8);
    b.writeUInt8(0x01, 1);
    b.writeUInt16BE(a.port ^ (MAGIC >>> 16), 2);
    const ip = a.address.split(".").map(Number);
    b.writeUInt32BE(((ip[0] << 24) | (ip[1] << 16) | (ip[2] << 8) | ip[3]) ^ MAGIC, 4);
    return b;
}

function readXorAddress(v: Buffer): Address {
    const port = v.readUInt16BE(2) ^ (MAGIC >>> 16);
    const n = (v.readUInt32BE(4) ^ MAGIC) >>> 0;
    return { address: [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join("."), port };
}

/** type: method and class bits interleaved as RFC 5389 §6 lays them out. */
function messageType(method: number, cls: "request" | "indication"): number {
    const c = cls === "request" ? 0 : 1;
    return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | ((c & 1) << 4) | ((c & 2) << 7);
}

function encode(method: number, cls: "request" | "indication", attrs: Buffer[], key?: Buffer): { txid: Buffer; bytes: Buffer } {
    const txid = randomBytes(12);
    const body = Buffer.concat(attrs);
    const header = Buffer.alloc(20);
    header.writeUInt16BE(messageType(method, cls), 0);
    header.writeUInt32BE(MAGIC, 4);
    txid.copy(header, 8);
    if (!key) {
        header.writeUInt16BE(body.length, 2);
        return { txid, bytes: Buffer.concat([header, body]) };
    }
    // MESSAGE-INTEGRITY covers the header with a length that already counts the integrity attribute.
    header.writeUInt16BE(body.length + 24, 2);
    const mac = createHmac("sha1", key).update(Buffer.concat([header, body])).digest();
    return { txid, bytes: Buffer.concat([header, body, attr(ATTR.messageIntegrity, mac)]) };
}

function decode(msg: Buffer): { txid: Buffer; cls: number; method: number; attrs: Map<number, Buffer> } {
    const type = msg.readUInt16BE(0);
    const length = msg.readUInt16BE(2);
    const cls = ((type >> 4) & 1) | ((type >> 7) & 2);
    const method = (type & 0x000f) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0f80);
    const attrs = new Map<number, Buffer>();
    for (let o = 20; o + 4 <= 20 + length; ) {
        const t = msg.readUInt16BE(o);
        const l = msg.readUInt16BE(o + 2);
        if (!attrs.has(t)) attrs.set(t, msg.subarray(o + 4, o + 4 + l));
        o += 4 + l + ((4 - (l % 4)) % 4);
    }
    return { txid: msg.subarray(8, 20), cls, method, attrs };
}

function toResponse(d: ReturnType<typeof decode>): TurnResponse {
    const a = d.attrs;
    const err = a.get(ATTR.errorCode);
    return {
        success: d.cls === 2,
        ...(err ? { error: { code: err.readUInt8(2) * 100 + err.readUInt8(3), reason: err.subarray(4).toString("utf8") } } : {}),
        ...(a.has(ATTR.realm) ? { realm: a.get(ATTR.realm)!.toString("utf8") } : {}),
        ...(a.has(ATTR.nonce) ? { nonce: a.get(ATTR.nonce)!.toString("utf8") } : {}),
        ...(a.has(ATTR.xorRelayedAddress) ? { relayed: readXorAddress(a.get(ATTR.xorRelayedAddress)!) } : {}),
        ...(a.has(ATTR.xorMappedAddress) ? { mapped: readXorAddress(a.get(ATTR.xorMappedAddress)!) } : {}),
    };
}

/** One client socket on 127.0.0.1 talking to one TURN server. */
export class TurnClient {
    private readonly socket = dgram.createSocket("udp4");
    private readonly pending = new Map<string, (r: TurnResponse) => void>();
    private readonly timers = new Set<NodeJS.Timeout>();
    private closed = false;
    private readonly data: { from: Address; data: Buffer }[] = [];
    private realm = "";
    private nonce = "";
    private key?: Buffer;
    private username = "";

    private constructor(private readonly server: Address) {
        this.socket.on("message", (msg) => {
            if (msg.length < 20 || msg.readUInt32BE(4) !== MAGIC) return;
            const d = decode(msg);
            if (d.cls === 1 && d.method === METHOD.data) {
                const peer = d.attrs.get(ATTR.xorPeerAddress);
                const payload = d.attrs.get(ATTR.data);
                if (peer && payload) this.data.push({ from: readXorAddress(peer), data: Buffer.from(payload) });
                return;
            }
            const k = d.txid.toString("hex");
            this.pending.get(k)?.(toResponse(d));
            this.pending.delete(k);
        });
    }

    static async open(server: Address): Promise<TurnClient> {
        const c = new TurnClient(server);
        await new Promise<void>((resolve) => c.socket.bind(0, "127.0.0.1", resolve));
        return c;
    }

    private request(method: number, attrs: Buffer[], signed: boolean): Promise<TurnResponse> {
        const extra = signed
            ? [attr(ATTR.username, Buffer.from(this.username)), attr(ATTR.realm, Buffer.from(this.realm)), attr(ATTR.nonce, Buffer.from(this.nonce))]
            : [];
        const { txid, bytes } = encode(method, "request", [...attrs, ...extra], signed ? this.key : undefined);
        return new Promise((resolve, reject) => {
            let tries = 0;
            const timer = setInterval(() => {
                // UDP: retransmit like a real client, give up after a few seconds.
                if (this.closed) return clearInterval(timer);
                if (++tries > 10) {
                    clearInterval(timer);
                    this.timers.delete(timer);
                    this.pending.delete(txid.toString("hex"));
                    reject(new Error(`no TURN response to method 0x${method.toString(16)}`));
                    return;
                }
                this.socket.send(bytes, this.server.port, this.server.address);
            }, 500);
            this.timers.add(timer);
            this.pending.set(txid.toString("hex"), (r) => {
                clearInterval(timer);
                this.timers.delete(timer);
                resolve(r);
            });
            this.socket.send(bytes, this.server.port, this.server.address);
        });
    }

    /** Allocate a UDP relay: the unauthenticated round trip for realm and nonce, then the signed one. */
    async allocate(username: string, password: string): Promise<TurnResponse> {
        const transport = attr(ATTR.requestedTransport, Buffer.from([17, 0, 0, 0]));
        const first = await this.request(METHOD.allocate, [transport], false);
        if (first.error?.code !== 401 || !first.realm || !first.nonce) return first;
        this.realm = first.realm;
        this.nonce = first.nonce;
        this.username = username;
        this.key = createHash("md5").update(`${username}:${first.realm}:${password}`).digest();
        return this.request(METHOD.allocate, [transport], true);
    }

    createPermission(peer: Address): Promise<TurnResponse> {
        return this.request(METHOD.createPermission, [attr(ATTR.xorPeerAddress, xorAddress(peer))], true);
    }

    send(peer: Address, payload: Buffer): void {
        const { bytes } = encode(METHOD.send, "indication", [attr(ATTR.xorPeerAddress, xorAddress(peer)), attr(ATTR.data, payload)]);
        this.socket.send(bytes, this.server.port, this.server.address);
    }

    /** Data indications received so far (peer -> relay -> this client). */
    received(): readonly { from: Address; data: Buffer }[] {
        return this.data;
    }

    close(): void {
        if (this.closed) return;
        this.closed = true;
        for (const t of this.timers) clearInterval(t);
        this.socket.close();
    }
}

/**
 * TURN credentials exactly as Synapse computes them for /voip/turnServer with
 * turn_shared_secret (synapse/rest/client/voip.py): username "<expiry>:<user id>",
 * password base64(HMAC-SHA1(secret, username)).
 */
export function synapseTurnCredentials(secret: string, userId: string, expirySeconds: number): { username: string; password: string } {
    const username = `${expirySeconds}:${userId}`;
    return { username, password: createHmac("sha1", secret).update(username).digest("base64") };
}
