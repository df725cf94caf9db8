/**
 * Runs the publisher's uplink quality ladder on the go-live page: once a second
 * it reads the sender's stats and the phone's power signals, lets the power
 * policy cap the ladder and the stepper pick a rung, and writes that rung into
 * the video sender's encodings with setParameters (no renegotiation). A new
 * peer connection (a republish) gets the current rung applied at once. Reports
 * what it sends and why, for the streamer ("720p30 — uplink limited").
 */
import { Emitter } from '../../net/Emitter.ts';
import { INITIAL_POWER_STATE, POWER_REASON_TEXT, updatePower, type PowerReason, type PowerState } from './power-policy.ts';
import type { PowerSensors } from './PowerSensors.ts';
import { LADDER, planRung, rungOutput, topRung, type BaseEncoding, type EncodingPlan, type RungOutput, type VideoSource } from './quality-ladder.ts';
import { parseUplinkStats } from './uplink-stats.ts';
import { initialStepperState, restartStepper, stepUplink, type StepperState, type StepReason } from './uplink-stepper.ts';

export type QualityReason = StepReason | PowerReason;

const STEP_REASON_TEXT: Readonly<Record<StepReason, string>> = { uplink: 'uplink limited', network: 'poor connection' };

export interface AppliedEncoding {
  rid: string | null;
  active: boolean;
  scaleResolutionDownBy: number | null;
  maxBitrate: number | null;
  maxFramerate: number | null;
}

export interface QualityStatus {
  /** Ladder index of the rung being sent (0 = 1080p30). */
  index: number;
  /** "720p30". */
  label: string;
  height: number;
  fps: number;
  /** Why it is below what the camera gives; null when it is not. */
  reason: QualityReason | null;
  /** "720p30 — uplink limited". */
  text: string;
  /** A power or heat warning for the streamer. */
  warning: string | null;
  /** What this rung needs from the uplink, bits/s. */
  needBps: number;
  /** The sender's encodings as read back after the last setParameters. */
  encodings: AppliedEncoding[];
}

export interface UplinkControllerEvents extends Record<string, unknown[]> {
  status: [QualityStatus];
}

export interface UplinkControllerOptions {
  readonly peerConnection: () => RTCPeerConnection | undefined;
  readonly sender: () => RTCRtpSender | undefined;
  readonly track: () => MediaStreamTrack | null;
  readonly sensors: Pick<PowerSensors, 'battery' | 'pressure' | 'powerSaver' | 'cpuSignals'>;
  readonly intervalMs?: number;
}

export class UplinkController extends Emitter<UplinkControllerEvents> {
  readonly #options: UplinkControllerOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;
  #sender: RTCRtpSender | undefined;
  #base: BaseEncoding[] = [];
  #stepper: StepperState = initialStepperState(0);
  #power: PowerState = INITIAL_POWER_STATE;
  #sent: RungOutput | null = null;
  #appliedKey = '';
  #lastBytes: { bytes: number; atMs: number } | null = null;
  #status: QualityStatus | null = null;
  /** Pretends the uplink estimate is at most this (bits/s): demos and tests of the step down on a fast link. */
  simulatedUplinkBps: number | null = null;

  constructor(options: UplinkControllerOptions) {
    super();
    this.#options = options;
  }

  get status(): QualityStatus | null {
    return this.#status;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), this.#options.intervalMs ?? 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One control step; also called at once when a power setting changes. */
  async tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      await this.#step();
    } catch (err) {
      // setParameters can race a renegotiation or a closing peer; the next tick tries again.
      console.warn(`uplink control step failed: ${(err as Error).message}`);
    } finally {
      this.#busy = false;
    }
  }

  async #step(): Promise<void> {
    const pc = this.#options.peerConnection();
    const sender = this.#options.sender();
    const track = this.#options.track();
    if (!pc || !sender || !track || pc.connectionState !== 'connected') return;
    const now = performance.now();
    if (sender !== this.#sender) this.#adopt(sender);

    const stats = parseUplinkStats((await pc.getStats()).values() as Iterable<Record<string, unknown>>);
    if (sender !== this.#options.sender()) return; // republished while reading
    const last = this.#lastBytes;
    this.#lastBytes = { bytes: stats.videoBytesSent, atMs: now };
    const sentBps = last && now > last.atMs && stats.videoBytesSent >= last.bytes ? ((stats.videoBytesSent - last.bytes) * 8 * 1000) / (now - last.atMs) : null;
    const sim = this.simulatedUplinkBps;
    const availableBps = sim === null ? stats.availableBps : Math.min(stats.availableBps ?? sim, sim);

    const settings = track.getSettings();
    const source: VideoSource = { width: settings.width ?? 640, height: settings.height ?? 360, fps: settings.frameRate ?? 30 };
    const uncappedTop = topRung(source);
    const sensors = this.#options.sensors;
    const power = updatePower(
      this.#power,
      {
        nowMs: now,
        battery: sensors.battery,
        pressure: sensors.cpuSignals ? sensors.pressure : null,
        limitation: sensors.cpuSignals || stats.limitation !== 'cpu' ? stats.limitation : null,
        powerSaver: sensors.powerSaver,
      },
      this.#sent ?? rungOutput(uncappedTop, source),
    );
    this.#power = power.state;
    const cap = power.decision.cap;
    const top = topRung(source, cap);
    const needs = LADDER.map((_, i) => planRung(this.#base, source, rungOutput(i, source, cap)).needBps);
    this.#stepper = stepUplink(this.#stepper, { nowMs: now, limitation: stats.limitation, availableBps, sentBps, rttMs: stats.rttMs, lossFraction: stats.lossFraction }, { top, needs });

    const out = rungOutput(Math.max(this.#stepper.index, top), source, cap);
    const plan = planRung(this.#base, source, out);
    const powerBinds = rungOutput(top, source, cap).label !== rungOutput(uncappedTop, source).label;
    const reason: QualityReason | null = this.#stepper.index > top ? this.#stepper.reason ?? 'uplink' : powerBinds ? power.decision.reason : null;

    const key = JSON.stringify(plan.encodings);
    let encodings = this.#status?.encodings ?? [];
    if (key !== this.#appliedKey) {
      await this.#apply(sender, plan.encodings);
      this.#appliedKey = key;
      encodings = readBack(sender);
    }
    this.#sent = out;
    const reasonText = reason === null ? null : reason === 'uplink' || reason === 'network' ? STEP_REASON_TEXT[reason] : POWER_REASON_TEXT[reason];
    this.#status = {
      index: out.index,
      label: out.label,
      height: out.height,
      fps: out.fps,
      reason,
      text: reasonText ? `${out.label} — ${reasonText}` : out.label,
      warning: power.decision.warning,
      needBps: plan.needBps,
      encodings,
    };
    this.emit('status', this.#status);
  }

  /** A new sender (first publish or a republish): its encodings as created are the base, and the estimate starts over. */
  #adopt(sender: RTCRtpSender): void {
    this.#sender = sender;
    this.#base = sender.getParameters().encodings.map((e) => ({
      ...(e.rid ? { rid: e.rid } : {}),
      scaleResolutionDownBy: e.scaleResolutionDownBy ?? 1,
      maxBitrate: e.maxBitrate ?? LADDER[0]!.bitrate,
      maxFramerate: e.maxFramerate ?? 30,
    }));
    this.#stepper = restartStepper(this.#stepper);
    this.#appliedKey = '';
    this.#lastBytes = null;
  }

  async #apply(sender: RTCRtpSender, plans: readonly EncodingPlan[]): Promise<void> {
    const params = sender.getParameters();
    if (params.encodings.length !== plans.length) throw new Error(`the sender has ${params.encodings.length} encodings, the plan ${plans.length}`);
    params.encodings.forEach((e, i) => {
      const p = plans[i]!;
      e.active = p.active;
      e.scaleResolutionDownBy = p.scaleResolutionDownBy;
      e.maxBitrate = p.maxBitrate;
      e.maxFramerate = p.maxFramerate;
    });
    await sender.setParameters(params);
  }
}

function readBack(sender: RTCRtpSender): AppliedEncoding[] {
  return sender.getParameters().encodings.map((e) => ({
    rid: e.rid ?? null,
    active: e.active ?? true,
    scaleResolutionDownBy: e.scaleResolutionDownBy ?? null,
    maxBitrate: e.maxBitrate ?? null,
    maxFramerate: e.maxFramerate ?? null,
  }));
}
