// LiveKit capacity against LiveKit's own published benchmark, scaled by vCPU.
// The guide (§11.2) promises 1,000-2,000 participants per 16-vCPU instance;
// LiveKit measured far fewer video participants on the same core count, so the
// plan reports the expected CPU at the tier's peak by the benchmark, and an
// erratum where the guide's figure exceeds what the benchmark supports.

/**
 * LiveKit's load test (docs.livekit.io, "Benchmarking", on GCP c2-standard-16):
 * a room of 150 participants all publishing 720p video ran at 85% CPU; 10
 * audio publishers to 3,000 audio-only subscribers ran at 80% CPU.
 */
export const LIVEKIT_BENCHMARK = {
    machine: "GCP c2-standard-16",
    vcpu: 16,
    videoParticipants: 150,
    videoCpuPercent: 85,
    audioSubscribers: 3000,
    audioCpuPercent: 80,
} as const;

export interface LiveKitCapacity {
    /** All-video participants one instance carries at the benchmark's 85% CPU, scaled by vCPU. */
    readonly benchmarkVideoParticipants: number;
    /** Audio-only participants one instance carries at the benchmark's 80% CPU, scaled by vCPU. */
    readonly benchmarkAudioParticipants: number;
    /** Peak participants on one instance, spread evenly over the instances. */
    readonly peakParticipantsPerInstance: number;
    readonly peakVideoPerInstance: number;
    readonly peakAudioPerInstance: number;
    /**
     * Expected CPU of one instance at the tier's peak, in percent: each video
     * participant costs what one costs in the benchmark's video room, each
     * audio participant what one subscriber costs in the audio test. An upper
     * bound: the benchmark's participants each receive 149 video tracks, while
     * most calls (§11.1: 70% one-to-one) forward a handful.
     */
    readonly peakCpuPercent: number;
}

export interface LiveKitLoad {
    readonly instances: number;
    readonly vcpu: number;
    /** Participants in calls at peak (guide §11.1: 10% of CCU). */
    readonly peakParticipants: number;
    /** Share of participants in video calls (guide §11.5). */
    readonly videoShare: number;
}

export function livekitCapacity(load: LiveKitLoad): LiveKitCapacity {
    const b = LIVEKIT_BENCHMARK;
    const scale = load.vcpu / b.vcpu;
    const video = b.videoParticipants * scale;
    const audio = b.audioSubscribers * scale;
    const perInstance = load.peakParticipants / load.instances;
    const peakVideo = perInstance * load.videoShare;
    const peakAudio = perInstance - peakVideo;
    const cpu = (peakVideo / video) * b.videoCpuPercent + (peakAudio / audio) * b.audioCpuPercent;
    return {
        benchmarkVideoParticipants: Math.floor(video),
        benchmarkAudioParticipants: Math.floor(audio),
        peakParticipantsPerInstance: Math.ceil(perInstance),
        peakVideoPerInstance: Math.ceil(peakVideo),
        peakAudioPerInstance: Math.ceil(peakAudio),
        peakCpuPercent: Math.round(cpu * 10) / 10,
    };
}
