// Stack config for antivirus (`matrix:antivirus`): where clamd gets its
// signatures (the deployment is air-gapped: an internal mirror) and what a
// Synapse upload does when clamd cannot answer. Sizes are the plan's.
import { boolean, enumOf, integer, object, optional, string, type Infer } from "../schema";

export const ANTIVIRUS_DEFAULTS = {
    onError: "reject",
    timeoutSeconds: 30,
    image: "clamav/clamav-debian:1.4.3_base",
    checksPerDay: 12,
} as const;

export const antivirus = {
    antivirus: object(
        {
            enabled: boolean({ description: "Scan every upload (and every remote file fetched) with ClamAV before it is stored.", default: true }),
            signatureMirror: optional(
                string({
                    description: "Internal ClamAV signature mirror freshclam downloads from (e.g. a cvdupdate or private mirror). Without it clamd is not deployed and uploads are not scanned (the program warns): the cluster does not reach the internet.",
                    pattern: /^https?:\/\/[^\s/]+(\/\S*)?$/,
                    patternText: "an http(s) URL",
                }),
            ),
            checksPerDay: integer({ description: "How often freshclam asks the mirror for new signatures.", default: ANTIVIRUS_DEFAULTS.checksPerDay, min: 1, max: 50 }),
            onError: enumOf(["reject", "allow"] as const, {
                description: "When clamd cannot be reached or times out: reject the upload (fail closed) or store it unscanned (fail open).",
                default: ANTIVIRUS_DEFAULTS.onError,
            }),
            timeoutSeconds: integer({ description: "Longest a scan may take before onError applies (never a hung upload).", default: ANTIVIRUS_DEFAULTS.timeoutSeconds, min: 1, max: 600 }),
            image: string({
                description: "clamd image (freshclam and clamd; the _base variant carries no signatures, they come from the mirror).",
                default: ANTIVIRUS_DEFAULTS.image,
                pattern: /^[a-z0-9][a-z0-9./_-]*(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/,
                patternText: "an image reference with a tag or digest",
            }),
        },
        { description: "ClamAV scanning of media at upload (clamd sized by the plan, signatures from an internal mirror)." },
    ),
} as const;

export type AntivirusConfig = Infer<(typeof antivirus)["antivirus"]>;
