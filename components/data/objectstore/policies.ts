// Least-privilege S3 policies for the media bucket, in the IAM JSON both MinIO
// and AWS accept. Each consumer gets exactly what it does: Synapse stores,
// reads and deletes media; the LI instance and the backup mirror only read.

export type Consumer = "synapse" | "li" | "backup";

const READ = ["s3:GetObject"];
const WRITE = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"];
const BUCKET_READ = ["s3:ListBucket", "s3:GetBucketLocation"];

export function bucketPolicy(bucket: string, consumer: Consumer) {
    const objectActions = consumer === "synapse" ? [...READ, ...WRITE] : READ;
    return {
        Version: "2012-10-17",
        Statement: [
            { Effect: "Allow", Action: BUCKET_READ, Resource: [`arn:aws:s3:::${bucket}`] },
            { Effect: "Allow", Action: objectActions, Resource: [`arn:aws:s3:::${bucket}/*`] },
        ],
    };
}

const POLICY_NAMES: Readonly<Record<Consumer, string>> = { synapse: "media-synapse-rw", li: "media-li-ro", backup: "media-backup-ro" };
const ACCESS_KEY_IDS: Readonly<Record<Consumer, string>> = { synapse: "synapse-media", li: "li-media-ro", backup: "backup-media-ro" };
export const policyName = (consumer: Consumer) => POLICY_NAMES[consumer];
/** Access key ids are names, not secrets; the secret keys come from @pulumi/random. */
export const accessKeyId = (consumer: Consumer) => ACCESS_KEY_IDS[consumer];
