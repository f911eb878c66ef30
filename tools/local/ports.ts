// Free loopback ports, chosen by the kernel (other people start servers on this machine too).
import * as net from "node:net";

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const addr = srv.address() as net.AddressInfo;
            srv.close(() => resolve(addr.port));
        });
    });
}

export async function freePorts(n: number): Promise<number[]> {
    const out = new Set<number>();
    for (let i = 0; out.size < n && i < n * 20; i++) out.add(await freePort());
    if (out.size < n) throw new Error(`could not find ${n} distinct free ports`);
    return [...out];
}
