// npm run local's arguments and its ready line (the boot itself is exercised by e2e.test.ts).
import * as assert from "node:assert/strict";
import { parseLocalArgs, readyLine, UsageError } from "../../tools/local";
import type { LocalStack } from "../../tools/local/boot";

describe("npm run local: arguments and the JSON line", () => {
    it("parses --stack, --ccu, --workdir, --max-replicas (both --k v and --k=v)", () => {
        assert.deepEqual(parseLocalArgs(["--stack", "prod", "--workdir=/tmp/x", "--max-replicas", "3"]), { stack: "prod", workdir: "/tmp/x", maxReplicas: 3 });
        assert.deepEqual(parseLocalArgs(["--ccu=5000"]), { ccu: 5000 });
        assert.deepEqual(parseLocalArgs([]), {});
    });

    it("refuses unknown flags, missing values and non-integers, naming the flag", () => {
        assert.throws(() => parseLocalArgs(["--stak", "dev"]), (e: Error) => e instanceof UsageError && /--stak/.test(e.message));
        assert.throws(() => parseLocalArgs(["--ccu"]), /--ccu needs a value/);
        assert.throws(() => parseLocalArgs(["--max-replicas", "0"]), /--max-replicas: "0" is not allowed/);
        assert.throws(() => parseLocalArgs(["--ccu", "1.5"]), /--ccu: "1.5" is not allowed/);
    });

    it("prints exactly the documented keys, on one line", () => {
        const fake = {
            baseUrl: "http://127.0.0.1:1",
            serverName: "x.org",
            registrationSharedSecretFile: "/w/s",
            routerLog: "/w/logs/synapse-router.log",
            logDir: "/w/logs",
            processes: () => [{ name: "postgres", pid: 1, log: "/w/logs/postgres.log" }],
        } as unknown as LocalStack;
        const line = readyLine(fake);
        assert.ok(!line.includes("\n"));
        assert.deepEqual(Object.keys(JSON.parse(line)), ["baseUrl", "serverName", "registrationSharedSecretFile", "routerLog", "logDir", "processes"]);
    });
});
