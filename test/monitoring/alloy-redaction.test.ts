// The Alloy redaction stage's pattern, run by Go's regexp (RE2, what Alloy
// uses) with stage.replace's semantics (each capture group of each match is
// replaced): no access token survives, and nothing else in the line changes.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ACCESS_TOKEN_PATTERN, alloyConfig, REDACTED } from "../../components/monitoring/alloy";
import { requireBinary } from "../helpers/binaries";

const GO_REPLACE = `package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
)

// stage.replace: every capture group of every match becomes the replacement.
func main() {
	re := regexp.MustCompile(os.Args[1])
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		line := in.Text()
		out, last := "", 0
		for _, m := range re.FindAllStringSubmatchIndex(line, -1) {
			for g := 2; g < len(m); g += 2 {
				if m[g] < 0 {
					continue
				}
				out += line[last:m[g]] + os.Args[2]
				last = m[g+1]
			}
		}
		fmt.Println(out + line[last:])
	}
}
`;

const CASES: [string, string][] = [
    ["GET /_matrix/client/v3/sync?access_token=syt_YWxpY2U_abc&since=s1 HTTP/1.1", `GET /_matrix/client/v3/sync?access_token=${REDACTED}&since=s1 HTTP/1.1`],
    [`{"access_token": "syt_YWxpY2U_abc", "device_id": "ABC"}`, `{"access_token": "${REDACTED}", "device_id": "ABC"}`],
    [`{"msg":"{\\"access_token\\":\\"syt_x_y\\"}"}`, `{"msg":"{\\"access_token\\":\\"${REDACTED}\\"}"}`],
    ["Access_Token: syt_upper_case", `Access_Token: ${REDACTED}`],
    ["redirect=%2Fsso%3Faccess_token%3Dsyt_enc%26x%3D1", `redirect=%2Fsso%3Faccess_token%3D${REDACTED}%26x%3D1`],
    ["a access_token=one b access_token=two", `a access_token=${REDACTED} b access_token=${REDACTED}`],
    ["2026-12-03 synapse.access.http.8008 - {@alice:example.org} Processed request: 0.004sec GET /_matrix/client/versions", "2026-12-03 synapse.access.http.8008 - {@alice:example.org} Processed request: 0.004sec GET /_matrix/client/versions"],
    ["the word access_token alone", "the word access_token alone"],
];

describe("Alloy's access-token redaction (Go RE2)", function () {
    this.timeout(120000);
    it("replaces every access token and leaves everything else as it was", function () {
        requireBinary(this, "go");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "matrix-alloy-"));
        try {
            fs.writeFileSync(path.join(dir, "replace.go"), GO_REPLACE);
            const r = spawnSync("go", ["run", "replace.go", ACCESS_TOKEN_PATTERN, REDACTED], {
                cwd: dir,
                input: CASES.map(([line]) => line).join("\n") + "\n",
                encoding: "utf8",
                env: { ...process.env, GOFLAGS: "-mod=mod", GO111MODULE: "off" },
                timeout: 110000,
            });
            assert.equal(r.status, 0, r.stderr);
            const out = r.stdout.trimEnd().split("\n");
            assert.deepEqual(out, CASES.map(([, want]) => want));
            for (const line of out) assert.doesNotMatch(line, /syt_/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the Alloy config runs every pod's lines through the stage before Loki", () => {
        const cfg = alloyConfig("http://loki:3100/loki/api/v1/push");
        assert.ok(cfg.includes(`expression = ${JSON.stringify(ACCESS_TOKEN_PATTERN)}`));
        assert.match(cfg, /loki\.source\.kubernetes "pods" \{[^}]*forward_to = \[loki\.process\.redact\.receiver\]/);
        assert.match(cfg, /loki\.process "redact" \{[\s\S]*forward_to = \[loki\.write\.default\.receiver\]/);
        // One pipeline only: nothing reaches loki.write around the redaction.
        assert.equal(cfg.match(/loki\.write\.default\.receiver/g)?.length, 1);
    });
});
