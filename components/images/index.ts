// Wires matrix:images.registry into the program. Why a stack transformation
// rather than threading the registry through every generator: images come from
// a dozen generators (config defaults, constants, Helm values, CRD fields) and
// the next one added would silently pull from the internet. One transformation
// sees every resource the program registers, before it is sent to the engine,
// so nothing can be missed, and the generators stay pure and registry-free.
// The transformation only does what the pure functions in ./mirror decide.
import * as pulumi from "@pulumi/pulumi";
import { mirrorChart, mirrorChartValues, mirrorManifest } from "./mirror";

export { mirrorImage, mirrorChart, mirrorRepository, parseImageRef, CHART_IMAGES } from "./mirror";

export const HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

/** Applies `f` inside a Pulumi output or promise (secretness kept); plain values pass through. */
function lift(v: unknown, f: (inner: unknown) => unknown): unknown {
    if (pulumi.Output.isInstance(v)) return v.apply(f);
    if (v instanceof Promise) return v.then(f);
    return v;
}

/** A Helm release's inputs with its chart from the registry and its chart's images moved there. */
export function mirrorReleaseProps(props: pulumi.Inputs, registry: string): pulumi.Inputs {
    const { repositoryOpts, ...rest } = props;
    const chart = props.chart;
    const version = props.version;
    if (typeof chart !== "string" || typeof version !== "string") {
        throw new Error(`matrix:images.registry: a Helm release's chart and version must be plain strings to be mirrored (got ${typeof chart}, ${typeof version})`);
    }
    const repo = (repositoryOpts as { repo?: unknown } | undefined)?.repo;
    const mirrored = mirrorChart({ chart, version, ...(typeof repo === "string" ? { repo } : {}) }, registry);
    return {
        ...rest,
        chart: mirrored.chart,
        version: mirrored.version,
        values: pulumi.output(props.values ?? {}).apply((v) => mirrorChartValues(chart, version, v as Record<string, unknown>, registry)),
    };
}

/** Registers the transformation; call before the first resource is constructed. */
export function pullImagesFrom(registry: string): void {
    pulumi.runtime.registerStackTransformation((args) => {
        if (!args.type.startsWith("kubernetes:")) return undefined;
        if (args.type === HELM_RELEASE_TYPE) return { props: mirrorReleaseProps(args.props, registry), opts: args.opts };
        return { props: mirrorManifest(args.props, registry, lift) as pulumi.Inputs, opts: args.opts };
    });
}
