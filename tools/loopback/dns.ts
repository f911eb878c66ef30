// A tiny authoritative DNS server on 127.0.0.1 (UDP) answering SRV and A
// queries from a table the test changes at will: stands in for the cluster DNS
// serving a headless Service's records, so HAProxy's DNS service discovery can
// be exercised for real (pods appearing and disappearing).
import * as dgram from "node:dgram";
import type { AddressInfo } from "node:net";

export interface SrvTarget {
    /** Target host name, e.g. 10-0-0-1.synapse-synchrotron.matrix.svc.cluster.local */
    readonly target: string;
    readonly port: number;
    /** IPv4 address of the target (sent as an additional A record and answered to A queries). */
    readonly address: string;
}

export interface FakeDns {
    readonly port: number;
    /** Replaces the SRV records of a name (e.g. _http._tcp.<svc>.<ns>.svc.cluster.local). */
    setSrv(name: string, targets: readonly SrvTarget[]): void;
    readonly queries: () => number;
    stop(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_SRV = 33;

function readName(buf: Buffer, offset: number): { name: string; next: number } {
    const labels: string[] = [];
    let o = offset;
    for (let guard = 0; guard < 128; guard++) {
        const len = buf[o];
        if (len === 0) return { name: labels.join(".").toLowerCase(), next: o + 1 };
        // Queries carry no compression pointers; refuse them rather than misparse.
        if ((len & 0xc0) !== 0) throw new Error("compressed name in query");
        labels.push(buf.subarray(o + 1, o + 1 + len).toString("ascii"));
        o += 1 + len;
    }
    throw new Error("name too long");
}

function encodeName(name: string): Buffer {
    const parts = name.replace(/\.$/, "").split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")]));
    return Buffer.concat([...parts, Buffer.from([0])]);
}

function rr(name: string, type: number, ttl: number, rdata: Buffer): Buffer {
    const head = Buffer.alloc(10);
    head.writeUInt16BE(type, 0);
    head.writeUInt16BE(1, 2);
    head.writeUInt32BE(ttl, 4);
    head.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([encodeName(name), head, rdata]);
}

const aData = (ip: string) => Buffer.from(ip.split(".").map(Number));
function srvData(t: SrvTarget): Buffer {
    const b = Buffer.alloc(6);
    b.writeUInt16BE(0, 0); // priority
    b.writeUInt16BE(10, 2); // weight
    b.writeUInt16BE(t.port, 4);
    return Buffer.concat([b, encodeName(t.target)]);
}

export async function startFakeDns(): Promise<FakeDns> {
    const srv = new Map<string, readonly SrvTarget[]>();
    let count = 0;
    const sock = dgram.createSocket("udp4");
    sock.on("message", (msg, rinfo) => {
        try {
            count++;
            const id = msg.readUInt16BE(0);
            const qd = msg.readUInt16BE(4);
            if (qd < 1) return;
            const { name, next } = readName(msg, 12);
            const qtype = msg.readUInt16BE(next);
            const question = msg.subarray(12, next + 4);
            const answers: Buffer[] = [];
            const additional: Buffer[] = [];
            let known = false;
            if (qtype === TYPE_SRV && srv.has(name)) {
                known = true;
                for (const t of srv.get(name)!) {
                    answers.push(rr(name, TYPE_SRV, 1, srvData(t)));
                    additional.push(rr(t.target, TYPE_A, 1, aData(t.address)));
                }
            } else if (qtype === TYPE_A) {
                for (const targets of srv.values()) {
                    const t = targets.find((x) => x.target === name);
                    if (t) {
                        known = true;
                        answers.push(rr(name, TYPE_A, 1, aData(t.address)));
                        break;
                    }
                }
            }
            const header = Buffer.alloc(12);
            header.writeUInt16BE(id, 0);
            // QR, AA, RD copied, RA; RCODE NXDOMAIN when the name is unknown.
            header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | 0x0080 | (known ? 0 : 3), 2);
            header.writeUInt16BE(1, 4);
            header.writeUInt16BE(answers.length, 6);
            header.writeUInt16BE(0, 8);
            header.writeUInt16BE(additional.length, 10);
            sock.send(Buffer.concat([header, question, ...answers, ...additional]), rinfo.port, rinfo.address);
        } catch {
            // A malformed query gets no answer, as from a real server under attack.
        }
    });
    await new Promise<void>((resolve, reject) => {
        sock.once("error", reject);
        sock.bind(0, "127.0.0.1", () => resolve());
    });
    return {
        port: (sock.address() as AddressInfo).port,
        setSrv: (name, targets) => srv.set(name.toLowerCase().replace(/\.$/, ""), [...targets]),
        queries: () => count,
        stop: () => new Promise<void>((resolve) => sock.close(() => resolve())),
    };
}
