// Pod Security "restricted" settings (the matrix, matrix-storage and
// matrix-li namespaces enforce it; see components/namespaces).

export const restrictedPod = (uid: number) => ({
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
});

export const restrictedContainer = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
};
