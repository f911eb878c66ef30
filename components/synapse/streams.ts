// Synapse's replication streams that a worker can write (synapse/config/workers.py,
// WriterLocations). Synapse refuses to start when a single-writer stream lists
// more than one instance, so the distinction is typed here once.

export const STREAMS = [
    "events",
    "typing",
    "to_device",
    "account_data",
    "receipts",
    "presence",
    "push_rules",
    "device_lists",
] as const;
export type Stream = (typeof STREAMS)[number];

/** Streams that take exactly one writer (Synapse 1.157 `WorkerConfig.read_config`). */
export const SINGLE_WRITER_STREAMS: readonly Stream[] = ["typing", "to_device", "account_data", "presence", "push_rules"];

/** Inside `stream_writers` the main process is called `master`; in `instance_map` it is `main`. */
export const MAIN_STREAM_WRITER_NAME = "master";
export const MAIN_INSTANCE_MAP_NAME = "main";
