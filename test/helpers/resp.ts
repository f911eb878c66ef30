// A minimal RESP2 client for the Redis proofs: one connection, commands in
// order, replies parsed. Enough to AUTH, SET, GET, WAIT and INFO without adding
// a Redis client dependency to the project.
import * as net from "net";

export type RespValue = string | number | null | RespValue[] | Error;

export class RespConnection {
    private buffer = Buffer.alloc(0);
    private readonly waiting: { resolve: (v: RespValue) => void; reject: (e: Error) => void }[] = [];
    private closed?: Error;

    private constructor(private readonly socket: net.Socket) {
        socket.on("data", (chunk) => {
            this.buffer = Buffer.concat([this.buffer, chunk]);
            this.drain();
        });
        const fail = (err: Error) => {
            this.closed = err;
            for (const w of this.waiting.splice(0)) w.reject(err);
        };
        socket.on("error", fail);
        socket.on("close", () => fail(new Error("connection closed")));
    }

    static connect(port: number, timeoutMs = 2000): Promise<RespConnection> {
        return new Promise((resolve, reject) => {
            const socket = net.createConnection({ host: "127.0.0.1", port });
            const timer = setTimeout(() => {
                socket.destroy();
                reject(new Error(`connect timeout to ${port}`));
            }, timeoutMs);
            socket.once("connect", () => {
                clearTimeout(timer);
                resolve(new RespConnection(socket));
            });
            socket.once("error", (e) => {
                clearTimeout(timer);
                reject(e);
            });
        });
    }

    command(args: (string | number)[], timeoutMs = 3000): Promise<RespValue> {
        if (this.closed) return Promise.reject(this.closed);
        const payload = `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join("");
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`timeout: ${args[0]}`)), timeoutMs);
            this.waiting.push({
                resolve: (v) => {
                    clearTimeout(timer);
                    resolve(v);
                },
                reject: (e) => {
                    clearTimeout(timer);
                    reject(e);
                },
            });
            this.socket.write(payload);
        });
    }

    close(): void {
        this.socket.destroy();
    }

    private drain(): void {
        for (;;) {
            const parsed = parse(this.buffer, 0);
            if (!parsed) return;
            this.buffer = this.buffer.subarray(parsed.next);
            this.waiting.shift()?.resolve(parsed.value);
        }
    }
}

function parse(buf: Buffer, at: number): { value: RespValue; next: number } | undefined {
    const eol = buf.indexOf("\r\n", at);
    if (eol < 0) return undefined;
    const line = buf.toString("utf8", at + 1, eol);
    switch (String.fromCharCode(buf[at]!)) {
        case "+":
            return { value: line, next: eol + 2 };
        case "-":
            return { value: new Error(line), next: eol + 2 };
        case ":":
            return { value: Number(line), next: eol + 2 };
        case "$": {
            const len = Number(line);
            if (len < 0) return { value: null, next: eol + 2 };
            if (buf.length < eol + 2 + len + 2) return undefined;
            return { value: buf.toString("utf8", eol + 2, eol + 2 + len), next: eol + 2 + len + 2 };
        }
        case "*": {
            const n = Number(line);
            if (n < 0) return { value: null, next: eol + 2 };
            const items: RespValue[] = [];
            let next = eol + 2;
            for (let i = 0; i < n; i++) {
                const item = parse(buf, next);
                if (!item) return undefined;
                items.push(item.value);
                next = item.next;
            }
            return { value: items, next };
        }
        default:
            throw new Error(`unexpected RESP type byte ${buf[at]}`);
    }
}

/** One command on a fresh connection (AUTH first); errors come back as values, not throws. */
export async function oneShot(port: number, password: string, args: (string | number)[], timeoutMs = 2000): Promise<RespValue> {
    const c = await RespConnection.connect(port, timeoutMs);
    try {
        const auth = await c.command(["AUTH", password], timeoutMs);
        if (auth instanceof Error) return auth;
        return await c.command(args, timeoutMs);
    } finally {
        c.close();
    }
}
