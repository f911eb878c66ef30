// Validates custom resources against the CRD schemas in ../shared/reference
// (CI-only reference data, never copied into the repository).
import Ajv from "ajv";
import * as fs from "fs";
import { parse } from "yaml";
import { referencePath } from "./reference";

export function crdValidator(file: string, version = "v1"): ((obj: unknown) => string[]) | string {
    const p = referencePath(`crds/${file}`);
    if (!fs.existsSync(p)) return `${p} absent (reference data lives outside the repository)`;
    const crd = parse(fs.readFileSync(p, "utf8"));
    const v = crd.spec.versions.find((x: { name: string }) => x.name === version);
    // Kubernetes' structural-schema extensions (x-kubernetes-*) are not JSON Schema; CEL rules are not evaluated here.
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(v.schema.openAPIV3Schema);
    return (obj: unknown) => (validate(obj) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));
}
