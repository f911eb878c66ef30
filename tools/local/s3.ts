// Reads the media bucket with a real S3 client (boto3, from the Synapse venv),
// with the credentials the program gives Synapse: proof that an object is in
// MinIO, independent of Synapse.
import { spawnSync } from "node:child_process";
import type { LocalStack } from "./boot";
import { programs } from "./prerequisites";

const SCRIPT = `
import boto3, json, sys
a = json.loads(sys.argv[1])
s3 = boto3.client("s3", endpoint_url=a["endpoint"], aws_access_key_id=a["key"], aws_secret_access_key=a["secret"], region_name=a["region"])
if a["op"] == "get":
    sys.stdout.buffer.write(s3.get_object(Bucket=a["bucket"], Key=a["object"])["Body"].read())
else:
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=a["bucket"], Prefix=a["object"]).get("Contents", [])]
    sys.stdout.write(json.dumps(keys))
`;

function s3(stack: LocalStack, op: "get" | "list", object: string): Buffer {
    const args = JSON.stringify({ op, object, endpoint: stack.minio.endpoint, key: stack.minio.accessKeyId, secret: stack.minio.secretAccessKey, region: stack.minio.region, bucket: stack.minio.bucket });
    const r = spawnSync(programs().python, ["-c", SCRIPT, args], { timeout: 60000, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`S3 ${op} ${object} failed: ${r.stderr?.toString()}`);
    return r.stdout;
}

export const s3Get = (stack: LocalStack, key: string): Buffer => s3(stack, "get", key);
export const s3List = (stack: LocalStack, prefix: string): string[] => JSON.parse(s3(stack, "list", prefix).toString("utf8"));

/** Where synapse-s3-storage-provider puts a local upload: the media store's relative path. */
export const localMediaKey = (mediaId: string) => `local_content/${mediaId.slice(0, 2)}/${mediaId.slice(2, 4)}/${mediaId.slice(4)}`;
