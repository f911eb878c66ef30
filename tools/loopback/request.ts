import * as http from "node:http";

export interface Reply {
    readonly status: number;
    readonly stub: string | undefined;
    readonly body: string;
}

/** One request on a fresh connection (so each is balanced on its own). */
export function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
            let data = "";
            res.setEncoding("utf8");
            res.on("data", (d) => (data += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, stub: res.headers["x-stub"] as string | undefined, body: data }));
        });
        req.on("error", reject);
        req.setTimeout(10000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
        req.end(body);
    });
}
