// Stack config for air-gapped installs (`matrix:images`): one internal registry
// every container image and Helm chart is pulled from (components/images).
import { object, optional, string, type Infer } from "../schema";

/**
 * host[:port][/prefix]. The host must read as a registry host to a container
 * runtime (a dot, a port or "localhost"): "mirror/minio/minio" would be read as
 * Docker Hub's "mirror" organisation.
 */
export const REGISTRY_PATTERN =
    /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+(?::[0-9]{1,5})?|localhost(?::[0-9]{1,5})?|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?:[0-9]{1,5})(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export const images = {
    images: object(
        {
            registry: optional(
                string({
                    description:
                        "Internal registry every container image and Helm chart is pulled from instead of the internet, under the same repository path (quay.io/minio/minio:TAG -> <registry>/minio/minio:TAG; redis:7 -> <registry>/library/redis:7; charts as oci://<registry>/charts/<chart>). `npm run images -- --stack <name>` lists what to mirror.",
                    pattern: REGISTRY_PATTERN,
                    patternText: "a registry host (with a dot, a port or localhost) with optional port and path, no scheme, e.g. registry.internal.example:5000/mirror",
                }),
            ),
        },
        { description: "Air-gapped installs: where images and charts are pulled from." },
    ),
} as const;

export type ImagesConfig = Infer<(typeof images)["images"]>;
