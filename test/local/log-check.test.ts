// The scenario's error-line check: an expected error is excused only with its context.
import * as assert from "node:assert/strict";
import { unexpected, type ExpectedError, type LogFinding } from "./helpers";

const RULE: ExpectedError = {
    process: /^redis-synapse-haproxy$/,
    line: /\[ALERT\].*has no server available!/,
    previous: /is DOWN, reason: Layer7 timeout/,
    reason: "test",
};
const alert = (previous: string): LogFinding => ({ process: "redis-synapse-haproxy", line: "[ALERT]    (1) : backend 'redis_master' has no server available!", previous });

describe("local e2e: expected error lines", () => {
    it("excuses an alert only after the line that explains it, and only in its process", () => {
        assert.deepEqual(unexpected([alert("[WARNING] Server redis_master/redis-synapse-0 is DOWN, reason: Layer7 timeout, info: x")], [RULE]), []);
        assert.equal(unexpected([alert("[WARNING] Server redis_master/redis-synapse-0 is DOWN, reason: Layer4 connection problem")], [RULE]).length, 1);
        assert.equal(unexpected([{ ...alert("is DOWN, reason: Layer7 timeout"), process: "synapse-router" }], [RULE]).length, 1);
        assert.equal(unexpected([{ process: "synapse-main-0", line: "x - ERROR - boom", previous: "" }], [RULE]).length, 1);
    });
});
