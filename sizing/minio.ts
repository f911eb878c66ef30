// MinIO layout. EC:4 (guide §2.4) needs at least 8 drives per erasure set,
// because parity can be at most half the set: 4 servers carry 2 drives each.
export const MINIO = { serversPerPool: 4, drivesPerServer: 2, parity: 4 } as const;
