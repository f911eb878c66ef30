// INTERIM, to be deleted when the data layer merges: the endpoints the data
// layer documents (contracts.ts DataEndpoints), so Synapse can be wired and
// tested under mocks before DataLayer exists on main. On merge, index.ts passes
// `dataLayer.endpoints` instead and this file goes. Nothing here is created;
// these are only names Synapse will look for.
import type { DataEndpoints } from "./contracts";
import { NAMESPACES } from "./contracts";

export const INTERIM_DATA_ENDPOINTS: DataEndpoints = {
    postgres: {
        host: `synapse-db-rw.${NAMESPACES.matrix}.svc.cluster.local`,
        port: 5432,
        database: "synapse",
        user: "synapse",
        password: { name: "synapse-db-app", key: "password" },
    },
    redis: {
        host: `redis-synapse.${NAMESPACES.matrix}.svc.cluster.local`,
        port: 6379,
        password: { name: "redis-synapse-auth", key: "password" },
    },
    media: {
        endpointUrl: `http://minio.${NAMESPACES.storage}.svc.cluster.local:9000`,
        bucket: "synapse-media",
        region: "us-east-1",
        credentialsSecret: "synapse-media-s3",
    },
};
