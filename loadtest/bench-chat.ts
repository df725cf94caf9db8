/**
 * Chat fan-out benchmark (`npm run bench:chat`).
 *
 * The platform runs in its own child process (so its process.cpuUsage() counts only the
 * server); raw WebSocket clients, spread over further child processes, connect, and per step
 * M of them are members of one stream's chat room (the others leave it) while senders among
 * them send chat at a total of R msgs/s (each message carries its send time). Every member
 * counts the events it receives (a cheap look at each batch frame's header); a few probe
 * members decode everything to time each delivery and check the seq order. Per step:
 * deliveries/s, p50/p99 delivery latency, server CPU seconds per million deliveries (and
 * deliveries per second per core of server CPU). A last step sends reactions at a total rate
 * and reports what the server spends on them and what the aggregated fan-out looks like.
 * Prints figures against the issue's targets and writes JSON to loadtest/reports/.
 *
 * On a small box the load generator is the limit, not the server: each member receives one
 * frame per batch (up to 100/s), so M x frames/s is what the client processes must absorb.
 * The default steps keep that within reach and still cover 1,000-5,000 members and the
 * 10,000 msgs/s target rate (with a smaller room).
 *
 * Flags: --steps 1000@100,1000@300,1000@1000,5000@20,100@10000 (members@msgs/s)  --clients (sockets; default the largest M)
 *        --senders 100  --seconds 8 (window per step)  --warmup 2
 *        --reactions 100000 (reactions/s in; 0 skips)  --reaction-members 1000
 *        --processes 2 (client processes)  --probes 2 (decoding members per process)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { connect as tcpConnect } from 'node:net';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { decode } from '@msgpack/msgpack';
import { loadConfig } from '../signaling/config.ts';
import { startPlatform } from '../signaling/platform.ts';
import { encodeMessage } from '../signaling/protocol/codec.ts';
import type { ClientMessage, ReactionEmoji } from '../signaling/protocol/messages.ts';
import { boundLifetime, onParentMessage, sendToParent } from './process/parent-channel.ts';
import { CpuMeter, type CpuWindow } from './process/CpuMeter.ts';
import { Teardown } from './process/Teardown.ts';
import { WorkerProcess } from './process/WorkerProcess.ts';
import { fmt, formatTable } from './report/format-table.ts';
import { writeReport } from './report/write-report.ts';
import { summarize, type Summary } from './stats/percentiles.ts';

const TARGET_DELIVERIES_PER_CORE = 1_000_000;
const TARGET_P99_MS = 50;
const TARGET_RATE_FOR_P99 = 10_000;
const TARGET_REACTIONS = 100_000;
/** Latency samples kept per probe snapshot (reservoir), so a long window cannot exhaust memory. */
const MAX_LATENCY_SAMPLES = 50_000;

// ---- IPC ---------------------------------------------------------------------------------

type Mode = 'idle' | 'chat' | 'react';

type ChildIn =
  | { type: 'serverStart'; dataDir: string; lifetimeMs: number }
  | { type: 'cpu' }
  | { type: 'clientsStart'; port: number; streamId: string; sockets: number; senders: number; probes: number; lifetimeMs: number; label: string }
  | { type: 'members'; count: number }
  | { type: 'rate'; mode: Mode; perSenderPerSecond: number }
  | { type: 'snapshot' }
  | { type: 'stop' };

interface Counts {
  readonly events: number;
  readonly frames: number;
  readonly bytes: number;
  readonly reactionsReceived: number;
  readonly reactionFrames: number;
  readonly acks: number;
  readonly errors: number;
  readonly sent: number;
  readonly closed: number;
  readonly probeEvents: number;
  readonly probeGaps: number;
}

type ChildOut =
  | { type: 'ready'; port: number; streamId: string }
  | { type: 'cpu'; cpuUs: number; wallMs: number; elu: number; loopDelayP99Ms: number; loopDelayMaxMs: number }
  | { type: 'joined'; joined: number; failed: number; errors: string[] }
  | { type: 'membersSet'; members: number; senders: number }
  | ({ type: 'snapshot'; windowMs: number; latencies: number[]; ingress: number[]; egress: number[]; errorSamples: string[] } & Counts);

// ---- main ----------------------------------------------------------------------------------

interface Step {
  readonly members: number;
  readonly rate: number;
}

interface Flags {
  readonly clients: number;
  readonly steps: Step[];
  readonly senders: number;
  readonly seconds: number;
  readonly warmup: number;
  readonly reactions: number;
  readonly reactionMembers: number;
  readonly processes: number;
  readonly probes: number;
}

interface StepResult {
  readonly mode: Mode;
  readonly members: number;
  readonly senders: number;
  readonly targetRate: number;
  readonly inPerSecond: number;
  readonly deliveriesPerSecond: number;
  readonly latencyMs: Summary;
  /** Send → sequenced by the server (its `at`), and sequenced → delivered to a probe. */
  readonly ingressMs: Summary;
  readonly egressMs: Summary;
  readonly serverCpuSeconds: number;
  readonly serverCorePct: number;
  readonly serverEventLoopUtilization: number;
  /** The server's event-loop delay over the window (monitorEventLoopDelay), ms. */
  readonly serverLoopDelayP99Ms: number;
  readonly serverLoopDelayMaxMs: number;
  readonly cpuSecondsPerMillionDeliveries: number;
  readonly deliveriesPerCoreSecond: number;
  readonly cpuUsPerMessageIn: number;
  readonly machineBusyPct: number;
  readonly probeGaps: number;
  readonly errors: number;
  readonly errorSamples: string[];
  readonly closedClients: number;
  /** Reactions only: aggregated counts one client received per second, and reaction frames per client per second. */
  readonly reactionsOutPerClientPerSecond?: number;
  readonly reactionFramesPerClientPerSecond?: number;
}

function parseFlags(): Flags {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string' },
      steps: { type: 'string', default: '1000@100,1000@300,1000@1000,5000@20,100@10000' },
      senders: { type: 'string', default: '100' },
      seconds: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '2' },
      reactions: { type: 'string', default: String(TARGET_REACTIONS) },
      'reaction-members': { type: 'string', default: '1000' },
      processes: { type: 'string', default: '2' },
      probes: { type: 'string', default: '2' },
    },
  });
  const num = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number within ${min}..${max}, got "${v}"`);
    return n;
  };
  const steps = (values.steps ?? '')
    .split(',')
    .filter(Boolean)
    .map((text) => {
      const [m, r] = text.trim().split('@');
      return { members: num('steps (members)', m, 10, 5000), rate: num('steps (rate)', r, 1, 100_000) };
    });
  const reactionMembers = num('reaction-members', values['reaction-members'], 10, 5000);
  const reactions = num('reactions', values.reactions, 0, 500_000);
  const largest = Math.max(reactions > 0 ? reactionMembers : 0, ...steps.map((s) => s.members));
  const clients = values.clients === undefined ? largest : num('clients', values.clients, largest, 5000);
  return {
    clients,
    steps,
    senders: num('senders', values.senders, 1, 5000),
    seconds: num('seconds', values.seconds, 2, 120),
    warmup: num('warmup', values.warmup, 0, 30),
    reactions,
    reactionMembers,
    processes: num('processes', values.processes, 1, 8),
    probes: num('probes', values.probes, 1, 20),
  };
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const teardown = new Teardown();
  const steps = flags.steps.length + (flags.reactions > 0 ? 1 : 0);
  const joinBudgetS = 30 + Math.ceil(flags.clients / 100) * 3;
  const boundMs = (joinBudgetS + steps * (flags.warmup + flags.seconds + 8) + 60) * 1000;
  teardown.boundTotalTime(boundMs, 'bench:chat');
  const lifetimeMs = boundMs + 10_000;
  try {
    console.log(
      `bench:chat: ${flags.clients} clients (${flags.processes} client processes), up to ${flags.senders} senders; steps (members@msgs/s) ` +
        `${flags.steps.map((s) => `${s.members}@${s.rate}`).join(', ')}${flags.reactions ? `, reactions ${flags.reactions}/s with ${flags.reactionMembers} members` : ''}; ` +
        `${flags.seconds} s windows (bounded to ${Math.round(boundMs / 1000)} s)`,
    );
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-chat-'));
    teardown.add('data dir', () => rmSync(dataDir, { recursive: true, force: true }));

    const server = new WorkerProcess<ChildIn, ChildOut>(new URL(import.meta.url), 'chat server');
    teardown.add('server', () => server.stop(3000));
    server.send({ type: 'serverStart', dataDir, lifetimeMs });
    const ready = await server.next('ready', 30_000);
    console.log(`server pid ${server.pid} on port ${ready.port}, room ${ready.streamId}`);

    const clients: WorkerProcess<ChildIn, ChildOut>[] = [];
    for (let i = 0; i < flags.processes; i++) {
      const share = (total: number): number => shareOf(total, flags.processes, i);
      const worker = new WorkerProcess<ChildIn, ChildOut>(new URL(import.meta.url), `chat clients ${i}`);
      teardown.add(`clients ${i}`, () => worker.stop(3000));
      // The load generators yield to the server under test when the box is short of CPU.
      if (worker.pid !== undefined) setPriority(worker.pid, 10);
      worker.send({ type: 'clientsStart', port: ready.port, streamId: ready.streamId, sockets: share(flags.clients), senders: share(flags.senders), probes: flags.probes, lifetimeMs, label: `p${i}` });
      clients.push(worker);
    }
    const joined = await Promise.all(clients.map((c) => c.next('joined', joinBudgetS * 1000)));
    const joinedCount = joined.reduce((s, j) => s + j.joined, 0);
    const failed = joined.reduce((s, j) => s + j.failed, 0);
    console.log(`${joinedCount} clients joined${failed ? `, ${failed} failed: ${joined.flatMap((j) => j.errors).slice(0, 3).join(' | ')}` : ''}`);

    const results: StepResult[] = [];
    let failure: string | null = null;
    try {
      for (const { members, rate } of flags.steps) {
        const step = await runStep('chat', members, rate, flags, server, clients);
        results.push(step);
        console.log(
          `  ${step.members} members, chat ${rate} msgs/s: in ${fmt(step.inPerSecond, 0)}/s, ${fmt(step.deliveriesPerSecond / 1e6, 2)} M deliveries/s, ` +
            `p50 ${fmt(step.latencyMs.p50)} ms p99 ${fmt(step.latencyMs.p99)} ms, server ${fmt(step.serverCorePct, 0)}% of a core, box ${fmt(step.machineBusyPct, 0)}% busy`,
        );
      }
      if (flags.reactions > 0) {
        const step = await runStep('react', flags.reactionMembers, flags.reactions, flags, server, clients);
        results.push(step);
        console.log(
          `  reactions ${flags.reactions}/s: in ${fmt(step.inPerSecond, 0)}/s, server ${fmt(step.serverCorePct, 0)}% of a core, ` +
            `${fmt(step.reactionFramesPerClientPerSecond, 1)} reaction frames/s per client`,
        );
      }
    } catch (err) {
      // A starved box can make a step time out: keep what was measured.
      failure = (err as Error).message;
      console.log(`step failed, remaining steps skipped: ${failure}`);
    }
    printResults(results);
    const path = await writeReport('chat', {
      flags,
      targets: { deliveriesPerCoreSecond: TARGET_DELIVERIES_PER_CORE, p99Ms: TARGET_P99_MS, atMsgsPerSecond: TARGET_RATE_FOR_P99, reactionsPerSecond: TARGET_REACTIONS },
      joined: joinedCount,
      failedToJoin: failed,
      failure,
      steps: results,
    });
    console.log(`\nreport: ${path}`);
    for (const c of clients) c.send({ type: 'stop' });
    server.send({ type: 'stop' });
  } finally {
    await teardown.run();
  }
}

async function runStep(mode: Mode, wantedMembers: number, totalRate: number, flags: Flags, server: WorkerProcess<ChildIn, ChildOut>, clients: WorkerProcess<ChildIn, ChildOut>[]): Promise<StepResult> {
  clients.forEach((c, i) => c.send({ type: 'members', count: shareOf(wantedMembers, flags.processes, i) }));
  const set = await Promise.all(clients.map((c) => c.next('membersSet', 120_000)));
  const members = set.reduce((s, x) => s + x.members, 0);
  const senders = set.reduce((s, x) => s + x.senders, 0);
  await sleep(500);
  for (const c of clients) c.send({ type: 'rate', mode, perSenderPerSecond: totalRate / Math.max(1, senders) });
  await sleep(flags.warmup * 1000);
  // Clients and server are asked at the same moment; each measures its own window, so a slow reply does not skew the rates.
  const [, cpuA] = await Promise.all([snapshotAll(clients), serverCpu(server)]); // the warm-up counts are discarded
  const machine = CpuMeter.mark();
  await sleep(flags.seconds * 1000);
  const [snaps, cpuB] = await Promise.all([snapshotAll(clients), serverCpu(server)]);
  const box = CpuMeter.since(machine);
  for (const c of clients) c.send({ type: 'rate', mode: 'idle', perSenderPerSecond: 0 });
  await sleep(1500); // let queues drain before the next step

  const seconds = (cpuB.wallMs - cpuA.wallMs) / 1000;
  /** Sum over client processes of each one's count per second of its own window. */
  const rate = (k: keyof Counts): number => snaps.reduce((sum, x) => sum + x[k] / (x.windowMs / 1000), 0);
  const total = (k: keyof Counts): number => snaps.reduce((sum, x) => sum + x[k], 0);
  const serverCpuSeconds = (cpuB.cpuUs - cpuA.cpuUs) / 1e6;
  const serverCores = serverCpuSeconds / seconds;
  const deliveriesPerSecond = rate('events');
  const inPerSecond = mode === 'chat' ? rate('acks') : rate('sent');
  const latencies = snaps.flatMap((x) => x.latencies);
  const ingress = snaps.flatMap((x) => x.ingress);
  const egress = snaps.flatMap((x) => x.egress);
  return {
    mode,
    members,
    senders,
    targetRate: totalRate,
    inPerSecond,
    deliveriesPerSecond,
    latencyMs: summarize(latencies),
    ingressMs: summarize(ingress),
    egressMs: summarize(egress),
    serverCpuSeconds,
    serverCorePct: serverCores * 100,
    serverEventLoopUtilization: cpuB.elu,
    serverLoopDelayP99Ms: cpuB.loopDelayP99Ms,
    serverLoopDelayMaxMs: cpuB.loopDelayMaxMs,
    cpuSecondsPerMillionDeliveries: deliveriesPerSecond > 0 ? serverCores / (deliveriesPerSecond / 1e6) : Number.NaN,
    deliveriesPerCoreSecond: serverCores > 0 ? deliveriesPerSecond / serverCores : Number.NaN,
    cpuUsPerMessageIn: inPerSecond > 0 ? (serverCores * 1e6) / inPerSecond : Number.NaN,
    machineBusyPct: box.machineBusyPct,
    probeGaps: total('probeGaps'),
    errors: total('errors'),
    errorSamples: snaps.flatMap((s) => s.errorSamples).slice(0, 5),
    closedClients: total('closed'),
    ...(mode === 'react'
      ? {
          reactionsOutPerClientPerSecond: rate('reactionsReceived') / Math.max(1, members),
          reactionFramesPerClientPerSecond: rate('reactionFrames') / Math.max(1, members),
        }
      : {}),
  };
}

/** Process i's part of total when split over n processes. */
function shareOf(total: number, n: number, i: number): number {
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}

async function snapshotAll(clients: WorkerProcess<ChildIn, ChildOut>[]): Promise<Extract<ChildOut, { type: 'snapshot' }>[]> {
  for (const c of clients) c.send({ type: 'snapshot' });
  return Promise.all(clients.map((c) => c.next('snapshot', 60_000)));
}

async function serverCpu(server: WorkerProcess<ChildIn, ChildOut>): Promise<Extract<ChildOut, { type: 'cpu' }>> {
  server.send({ type: 'cpu' });
  return server.next('cpu', 30_000);
}

function printResults(results: StepResult[]): void {
  const chat = results.filter((r) => r.mode === 'chat');
  console.log(`\nchat in one room; server CPU from its own process.cpuUsage(); latency = send → delivery at a probe member`);
  console.log(
    formatTable(
      ['members', 'senders', 'msgs/s', 'in/s', 'deliveries/s', 'p50 ms', 'p99 ms', 'max ms', 'p99 in|out', 'CPU s/1M deliv', 'deliv/s per core', 'server core%', 'loop lag p99|max', 'box busy%', 'gaps', 'errors', 'dropped'],
      chat.map((r) => [
        String(r.members),
        String(r.senders),
        String(r.targetRate),
        fmt(r.inPerSecond, 0),
        fmt(r.deliveriesPerSecond, 0),
        fmt(r.latencyMs.p50),
        fmt(r.latencyMs.p99),
        fmt(r.latencyMs.max),
        `${fmt(r.ingressMs.p99, 0)}|${fmt(r.egressMs.p99, 0)}`,
        fmt(r.cpuSecondsPerMillionDeliveries, 3),
        fmt(r.deliveriesPerCoreSecond, 0),
        fmt(r.serverCorePct, 0),
        `${fmt(r.serverLoopDelayP99Ms, 0)}|${fmt(r.serverLoopDelayMaxMs, 0)}`,
        fmt(r.machineBusyPct, 0),
        String(r.probeGaps),
        String(r.errors),
        String(r.closedClients),
      ]),
    ),
  );
  const react = results.find((r) => r.mode === 'react');
  if (react) {
    console.log(`\nreactions, ${react.members} members: ${fmt(react.inPerSecond, 0)}/s in (target ${TARGET_REACTIONS}), server ${fmt(react.serverCorePct, 0)}% of a core = ${fmt(react.cpuUsPerMessageIn, 2)} µs per reaction;`);
    console.log(
      `  fan-out aggregated: ${fmt(react.reactionFramesPerClientPerSecond, 1)} frames/s per client carrying ${fmt(react.reactionsOutPerClientPerSecond, 0)} reactions/s; ` +
        `box ${fmt(react.machineBusyPct, 0)}% busy, errors ${react.errors}, dropped ${react.closedClients}`,
    );
  }
  const best = chat.reduce<StepResult | undefined>((b, r) => (!b || r.deliveriesPerCoreSecond > b.deliveriesPerCoreSecond ? r : b), undefined);
  const at10k = chat.find((r) => r.targetRate === TARGET_RATE_FOR_P99);
  console.log('\ntargets:');
  if (best) {
    console.log(
      `  ≥ ${TARGET_DELIVERIES_PER_CORE.toLocaleString('en')} deliveries/s per core of server CPU: ${fmt(best.deliveriesPerCoreSecond, 0)} at ${best.targetRate} msgs/s ` +
        `→ ${best.deliveriesPerCoreSecond >= TARGET_DELIVERIES_PER_CORE ? 'met' : 'NOT met'}`,
    );
  }
  if (at10k) {
    console.log(`  p99 ≤ ${TARGET_P99_MS} ms at ${TARGET_RATE_FOR_P99} msgs/s (${at10k.members} members): p99 ${fmt(at10k.latencyMs.p99)} ms → ${at10k.latencyMs.p99 <= TARGET_P99_MS ? 'met' : 'NOT met'}${at10k.machineBusyPct > 90 ? ' (box saturated: clients and server share 2 cores)' : ''}`);
  }
  if (react) console.log(`  ${TARGET_REACTIONS.toLocaleString('en')} reactions/s in: ${fmt(react.inPerSecond, 0)}/s → ${react.inPerSecond >= TARGET_REACTIONS * 0.95 ? 'met' : 'NOT met'}`);
}

// ---- server child ------------------------------------------------------------------------

async function runServer(start: Extract<ChildIn, { type: 'serverStart' }>): Promise<void> {
  const rtcBase = 41_000 + Math.floor(Math.random() * 80) * 100;
  const config = loadConfig({}, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATA_DIR: start.dataDir, RTC_MIN_PORT: String(rtcBase), RTC_MAX_PORT: String(rtcBase + 99) });
  // Limits raised so the benchmark measures fan-out, not the per-connection and per-room flood control.
  const unlimited = { messagesPerSecond: 1e6, messageBurst: 1e6 };
  const platform = await startPlatform(config, { ws: { ...unlimited }, chat: { ...unlimited, roomMessagesPerSecond: 1e6, roomMessageBurst: 1e6 } });
  boundLifetime(start.lifetimeMs, () => platform.close());
  const stream = platform.streams.create('bench-chat');
  let elu = performance.eventLoopUtilization();
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  onParentMessage<ChildIn>((m) => {
    if (m.type === 'cpu') {
      const u = process.cpuUsage();
      const now = performance.eventLoopUtilization();
      void sendToParent<ChildOut>({
        type: 'cpu',
        cpuUs: u.user + u.system,
        wallMs: performance.now(),
        elu: performance.eventLoopUtilization(now, elu).utilization,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
      });
      loopDelay.reset();
      elu = now;
    } else if (m.type === 'stop') {
      void platform.close().finally(() => process.exit(0));
    }
  });
  await sendToParent<ChildOut>({ type: 'ready', port: platform.port, streamId: stream.id });
}

// ---- client child ------------------------------------------------------------------------

/** `{type:"chat",…}` as the server's msgpack encoder writes it: map(3), "type", "chat". */
const CHAT_FRAME_PREFIX = Buffer.from([0x83, 0xa4, ...Buffer.from('type'), 0xa4, ...Buffer.from('chat')]);
/** `{type:"chatAck",reqId,seq}`: map(3), "type", "chatAck". */
const ACK_FRAME_PREFIX = Buffer.from([0x83, 0xa4, ...Buffer.from('type'), 0xa7, ...Buffer.from('chatAck')]);
const EMOJIS: readonly ReactionEmoji[] = ['❤️', '😂', '🔥', '👏', '😮', '🎉'];

const nowMs = (): number => performance.timeOrigin + performance.now();

/**
 * Number of events in a chat batch frame without decoding them: after the prefix come the
 * "streamId" key and value, then the "events" key and the array header.
 */
function chatEventCount(p: Buffer): number {
  if (p.length < CHAT_FRAME_PREFIX.length + 12 || p.compare(CHAT_FRAME_PREFIX, 0, CHAT_FRAME_PREFIX.length, 0, CHAT_FRAME_PREFIX.length) !== 0) return -1;
  let pos = CHAT_FRAME_PREFIX.length;
  pos += 1 + (p[pos]! & 0x1f); // key "streamId" (fixstr)
  const v = p[pos]!;
  pos += (v & 0xe0) === 0xa0 ? 1 + (v & 0x1f) : v === 0xd9 ? 2 + p[pos + 1]! : Number.NaN; // stream id value
  pos += 1 + (p[pos]! & 0x1f); // key "events"
  const a = p[pos]!;
  if ((a & 0xf0) === 0x90) return a & 0x0f;
  if (a === 0xdc) return p.readUInt16BE(pos + 1);
  if (a === 0xdd) return p.readUInt32BE(pos + 1);
  return -1;
}

/** A minimal RFC 6455 client on a raw TCP socket: batched masked sends, frame parsing without copies. */
class BenchSocket {
  readonly #socket: Socket;
  readonly #mask = randomBytes(4);
  #pending: Buffer[] = [];
  #rest: Buffer | null = null;
  closed = false;
  onFrame: (payload: Buffer) => void = () => undefined;

  private constructor(socket: Socket, head: Buffer) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
    if (head.length > 0) queueMicrotask(() => this.#onData(head));
  }

  static open(port: number): Promise<BenchSocket> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect(port, '127.0.0.1');
      let got = Buffer.alloc(0);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('handshake timed out'));
      }, 20_000);
      const onData = (chunk: Buffer): void => {
        got = Buffer.concat([got, chunk]);
        const end = got.indexOf('\r\n\r\n');
        if (end < 0) return;
        clearTimeout(timer);
        socket.off('data', onData);
        if (!got.subarray(0, 12).toString().includes('101')) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${got.subarray(0, end).toString().split('\r\n')[0]}`));
          return;
        }
        resolve(new BenchSocket(socket, got.subarray(end + 4)));
      };
      socket.on('data', onData);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () =>
        socket.write(
          `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
      );
    });
  }

  /** Queues a binary frame; flush() writes everything queued in one syscall. */
  queue(payload: Uint8Array, opcode = 0x2): void {
    const n = payload.length;
    const header = n < 126 ? Buffer.from([0x80 | opcode, 0x80 | n]) : Buffer.from([0x80 | opcode, 0x80 | 126, n >> 8, n & 0xff]);
    const masked = Buffer.allocUnsafe(n);
    const m = this.#mask;
    for (let i = 0; i < n; i++) masked[i] = payload[i]! ^ m[i & 3]!;
    this.#pending.push(header, m, masked);
  }

  flush(): void {
    if (this.#pending.length === 0 || this.closed) return;
    this.#socket.write(this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending));
    this.#pending = [];
  }

  send(payload: Uint8Array): void {
    this.queue(payload);
    this.flush();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    const buf = this.#rest ? Buffer.concat([this.#rest, chunk]) : chunk;
    let pos = 0;
    while (buf.length - pos >= 2) {
      const b0 = buf[pos]!;
      let len = buf[pos + 1]! & 0x7f;
      let off = pos + 2;
      if (len === 126) {
        if (buf.length - pos < 4) break;
        len = buf.readUInt16BE(pos + 2);
        off = pos + 4;
      } else if (len === 127) {
        if (buf.length - pos < 10) break;
        len = Number(buf.readBigUInt64BE(pos + 2));
        off = pos + 10;
      }
      if (buf.length < off + len) break;
      const opcode = b0 & 0x0f;
      const payload = buf.subarray(off, off + len);
      pos = off + len;
      if (opcode === 0x2) this.onFrame(payload);
      else if (opcode === 0x9) {
        this.queue(Buffer.from(payload), 0xa); // pong
        this.flush();
      }
      else if (opcode === 0x8) this.closed = true;
    }
    this.#rest = pos < buf.length ? Buffer.from(buf.subarray(pos)) : null;
  }
}

/** Counters of one client process, reset at each snapshot. */
class ClientCounters {
  events = 0;
  frames = 0;
  bytes = 0;
  reactionsReceived = 0;
  reactionFrames = 0;
  acks = 0;
  errors = 0;
  sent = 0;
  probeEvents = 0;
  probeGaps = 0;
  latencies: number[] = [];
  ingress: number[] = [];
  egress: number[] = [];
  seenLatencies = 0;
  errorSamples: string[] = [];

  /** Reservoir sampling: every delivery has the same chance to be kept. */
  addLatency(totalMs: number, ingressMs: number, egressMs: number): void {
    this.seenLatencies++;
    let j = this.latencies.length;
    if (j >= MAX_LATENCY_SAMPLES) {
      j = Math.floor(Math.random() * this.seenLatencies);
      if (j >= MAX_LATENCY_SAMPLES) return;
    }
    this.latencies[j] = totalMs;
    this.ingress[j] = ingressMs;
    this.egress[j] = egressMs;
  }
}

async function runClients(start: Extract<ChildIn, { type: 'clientsStart' }>): Promise<void> {
  const sockets: BenchSocket[] = [];
  boundLifetime(start.lifetimeMs, async () => sockets.forEach((s) => s.destroy()));
  let counters = new ClientCounters();
  let windowStart = performance.now();
  let reqId = 1;
  const errors: string[] = [];
  const probeLastSeq = new Map<BenchSocket, number>();
  const joinWaiters = new Map<BenchSocket, () => void>();
  const member = new Set<BenchSocket>();
  // Socket order: probes first, then senders, then listeners; a step's members are the first M.
  const isProbe = (index: number): boolean => index < start.probes;
  const isSender = (index: number): boolean => index >= start.probes && index < start.probes + start.senders;

  const attach = (socket: BenchSocket, probe: boolean): void => {
    socket.onFrame = (payload) => {
      const c = counters;
      c.frames++;
      c.bytes += payload.length;
      const n = probe ? -1 : chatEventCount(payload);
      if (n >= 0) {
        c.events += n;
        return;
      }
      if (payload.length < 24 && payload.compare(ACK_FRAME_PREFIX, 0, ACK_FRAME_PREFIX.length, 0, ACK_FRAME_PREFIX.length) === 0) {
        c.acks++;
        return;
      }
      const m = decode(payload) as { type: string; events?: { seq: number; at: number; kind: string; text?: string }[]; counts?: Record<string, number>; message?: string };
      if (m.type === 'chat' && m.events) {
        const at = nowMs();
        c.events += m.events.length;
        c.probeEvents += m.events.length;
        let last = probeLastSeq.get(socket) ?? 0;
        for (const e of m.events) {
          if (last !== 0 && e.seq !== last + 1) c.probeGaps++;
          last = e.seq;
          if (e.kind === 'message' && e.text) {
            const sentAt = Number(e.text.slice(0, e.text.indexOf(' ')));
            if (Number.isFinite(sentAt)) c.addLatency(at - sentAt, e.at - sentAt, at - e.at);
          }
        }
        probeLastSeq.set(socket, last);
      } else if (m.type === 'reactions' && m.counts) {
        c.reactionFrames++;
        for (const v of Object.values(m.counts)) c.reactionsReceived += v;
      } else if (m.type === 'chatAck') {
        c.acks++;
      } else if (m.type === 'chatJoined') {
        probeLastSeq.delete(socket);
        joinWaiters.get(socket)?.();
      } else if (m.type === 'error') {
        c.errors++;
        if (c.errorSamples.length < 5) c.errorSamples.push(String(m.message));
      }
    };
  };

  const join = (socket: BenchSocket): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        joinWaiters.delete(socket);
        reject(new Error('no chatJoined within 30 s'));
      }, 30_000);
      joinWaiters.set(socket, () => {
        clearTimeout(timer);
        joinWaiters.delete(socket);
        member.add(socket);
        resolve();
      });
      socket.send(encodeMessage({ type: 'chatJoin', reqId: reqId++ & 0x7fffffff, streamId: start.streamId, historyLimit: 0 }));
    });

  // Connect (and join) in small waves so the server's accept queue never overflows.
  let failed = 0;
  for (let i = 0; i < start.sockets; i += 50) {
    const wave = Array.from({ length: Math.min(50, start.sockets - i) }, async (_, k) => {
      const index = i + k;
      try {
        const socket = await BenchSocket.open(start.port);
        attach(socket, isProbe(index));
        await join(socket);
        sockets[index] = socket;
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push((err as Error).message);
      }
    });
    await Promise.all(wave);
  }
  const live = sockets.filter(Boolean);
  counters = new ClientCounters();
  await sendToParent<ChildOut>({ type: 'joined', joined: live.length, failed, errors });

  // Senders, paced from one 10 ms tick: each gets its share of credit, frames go out in one write per socket per tick.
  let mode: Mode = 'idle';
  let perSender = 0;
  let senders: BenchSocket[] = [];
  let credit: number[] = [];
  let lastTick = performance.now();
  let n = 0;
  setInterval(() => {
    const now = performance.now();
    const dt = (now - lastTick) / 1000;
    lastTick = now;
    if (mode === 'idle') return;
    for (let s = 0; s < senders.length; s++) {
      const socket = senders[s]!;
      credit[s]! += perSender * dt;
      let k = Math.floor(credit[s]!);
      if (k <= 0 || socket.closed) continue;
      credit[s]! -= k;
      for (; k > 0; k--) {
        const message: ClientMessage =
          mode === 'chat'
            ? { type: 'chatSend', reqId: reqId++ & 0x7fffffff, streamId: start.streamId, text: `${nowMs().toFixed(2)} ${start.label}s${s} m${n++}`, streamTime: Date.now() }
            : { type: 'react', reqId: reqId++ & 0x7fffffff, streamId: start.streamId, emoji: EMOJIS[n++ % EMOJIS.length]!, streamTime: Date.now() };
        socket.queue(encodeMessage(message));
        counters.sent++;
      }
      socket.flush();
    }
  }, 10);

  const setMembers = async (count: number): Promise<void> => {
    const joins: Promise<void>[] = [];
    sockets.forEach((socket, index) => {
      if (!socket || socket.closed) return;
      if (index < count && !member.has(socket)) joins.push(join(socket).catch(() => undefined));
      else if (index >= count && member.has(socket)) {
        member.delete(socket);
        socket.send(encodeMessage({ type: 'chatLeave', reqId: reqId++ & 0x7fffffff, streamId: start.streamId }));
      }
    });
    await Promise.all(joins);
    senders = sockets.filter((socket, index) => socket && isSender(index) && member.has(socket));
    credit = new Array<number>(senders.length).fill(0);
    await sendToParent<ChildOut>({ type: 'membersSet', members: live.filter((x) => member.has(x)).length, senders: senders.length });
  };

  onParentMessage<ChildIn>((m) => {
    if (m.type === 'members') {
      mode = 'idle';
      void setMembers(m.count);
    } else if (m.type === 'rate') {
      mode = m.mode;
      perSender = m.perSenderPerSecond;
      credit.fill(0);
    } else if (m.type === 'snapshot') {
      const c = counters;
      counters = new ClientCounters();
      const now = performance.now();
      const windowMs = now - windowStart;
      windowStart = now;
      void sendToParent<ChildOut>({
        type: 'snapshot',
        windowMs,
        events: c.events,
        frames: c.frames,
        bytes: c.bytes,
        reactionsReceived: c.reactionsReceived,
        reactionFrames: c.reactionFrames,
        acks: c.acks,
        errors: c.errors,
        sent: c.sent,
        closed: live.filter((x) => x.closed).length,
        probeEvents: c.probeEvents,
        probeGaps: c.probeGaps,
        latencies: c.latencies,
        ingress: c.ingress,
        egress: c.egress,
        errorSamples: c.errorSamples,
      });
    } else if (m.type === 'stop') {
      live.forEach((x) => x.destroy());
      process.exit(0);
    }
  });
}

// ---- entry -------------------------------------------------------------------------------

if (process.send) {
  // Forked by WorkerProcess: the first message says which part to play.
  let started = false;
  onParentMessage<ChildIn>((m) => {
    if (started) return;
    if (m.type === 'serverStart' || m.type === 'clientsStart') {
      started = true;
      const run = m.type === 'serverStart' ? runServer(m) : runClients(m);
      run.catch((err: unknown) => {
        process.stderr.write(`bench-chat child failed: ${(err as Error).stack ?? String(err)}\n`);
        process.exit(1);
      });
    }
  });
} else {
  main().catch((err: unknown) => {
    console.error(`bench:chat failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
