// Streams Synapse lets only one instance write, from its own source: in
// synapse/config/workers.py (WorkerConfig.read_config) each of these raises
// "Must only specify one instance to handle `<stream>` messages" when
// stream_writers lists more than one instance (push_rules as "push").
// Multi-writer streams (events, receipts, device_lists) are not in it.
// The program keeps two copies: the stream list the worker table is built
// from and the policy pack's; both must say exactly this.
import * as assert from "assert";
import { SINGLE_WRITER_STREAMS as POLICY_COPY } from "../../policy/policies";
import { SINGLE_WRITER_STREAMS, STREAMS } from "../../components/synapse/streams";
import { WORKER_TABLE } from "../../components/synapse/worker-table";

const SYNAPSE_SINGLE_WRITER_STREAMS = ["account_data", "presence", "push_rules", "to_device", "typing"];

describe("single-writer streams agree with Synapse's workers.py", () => {
    it("the worker table's stream list", () => {
        assert.deepStrictEqual([...SINGLE_WRITER_STREAMS].sort(), SYNAPSE_SINGLE_WRITER_STREAMS);
    });

    it("the policy pack's copy", () => {
        assert.deepStrictEqual([...POLICY_COPY].sort(), SYNAPSE_SINGLE_WRITER_STREAMS);
    });

    it("the worker table caps exactly those streams' writers at one instance", () => {
        for (const stream of STREAMS) {
            const writers = WORKER_TABLE.filter((d) => (d.streams as readonly string[]).includes(stream));
            for (const d of writers) {
                assert.strictEqual(d.maxInstances === 1, SYNAPSE_SINGLE_WRITER_STREAMS.includes(stream), `${d.type} writes ${stream}, maxInstances ${d.maxInstances}`);
            }
        }
        // Every single-writer stream has its writer type in the table (none is left on main by accident).
        for (const stream of SYNAPSE_SINGLE_WRITER_STREAMS) {
            assert.ok(WORKER_TABLE.some((d) => (d.streams as readonly string[]).includes(stream)), stream);
        }
    });
});
