import SimplePeer from 'simple-peer';
import * as v from 'valibot';
import { type IceServer, SignalData, type SignalPayload } from '../../shared/protocol/signaling.ts';
import {
  Emitter,
  type LinkStatus,
  type Transport,
  type TransportKind,
  type TransportSendOptions,
} from './link.ts';

/**
 * Id of the extra data channel for unreliable messages. Both sides create it themselves
 * (`negotiated`), so it needs no signaling; high enough never to meet simple-peer's own channel.
 */
export const UNRELIABLE_CHANNEL_ID = 100;

export interface DirectTransportOptions {
  readonly initiator: boolean;
  readonly iceServers: readonly IceServer[];
  /** 'relay' with no TURN server makes direct connection impossible (for tests and strict setups). */
  readonly iceTransportPolicy?: RTCIceTransportPolicy;
  /** Hands our offers, answers and candidates to the signaling server. */
  readonly sendSignal: (data: SignalPayload) => void;
}

/**
 * A WebRTC connection to one peer (simple-peer): its reliable ordered channel for reliable
 * messages, plus an unordered channel without retransmissions for unreliable ones. simple-peer
 * destroys itself when ICE fails, so every attempt is a new transport.
 */
export class DirectTransport implements Transport {
  private kindValue: 'direct' | 'turn' = 'direct';
  private statusValue: LinkStatus = 'connecting';
  private readonly kinds = new Emitter<[TransportKind]>();
  private readonly peer: SimplePeer;
  private readonly unordered: RTCDataChannel;
  private readonly messages = new Emitter<[Uint8Array]>();
  private readonly statuses = new Emitter<[LinkStatus]>();
  /** Signals that failed validation (from the peer, through the server). */
  rejectedSignals = 0;

  constructor(options: DirectTransportOptions) {
    this.peer = new SimplePeer({
      initiator: options.initiator,
      trickle: true,
      config: {
        iceServers: options.iceServers.map((s) => ({ ...s })) as RTCIceServer[],
        ...(options.iceTransportPolicy ? { iceTransportPolicy: options.iceTransportPolicy } : {}),
      },
    });
    this.unordered = this.peer._pc.createDataChannel('lanparty-unreliable', {
      negotiated: true,
      id: UNRELIABLE_CHANNEL_ID,
      ordered: false,
      maxRetransmits: 0,
    });
    this.unordered.binaryType = 'arraybuffer';
    this.unordered.onmessage = (event) => {
      if (event.data instanceof ArrayBuffer) this.messages.emit(new Uint8Array(event.data));
    };
    this.peer.on('signal', (data) => {
      const parsed = v.safeParse(SignalData, data);
      if (parsed.success) options.sendSignal(parsed.output);
    });
    this.peer.on('connect', () => {
      this.setStatus('open');
      this.checkPath();
    });
    // The selected path can change after connecting (ICE restarts, a better pair found later).
    this.peer._pc.addEventListener('iceconnectionstatechange', () => this.checkPath());
    // simple-peer announces 'connect' only after a getStats() round that it retries every 100 ms,
    // but delivers data as soon as the channel opens: data proves the channel open, so the
    // answer to the peer's first ping is not dropped (which cost a 250 ms ping interval).
    this.peer.on('data', (data) => {
      this.setStatus('open');
      this.messages.emit(data);
    });
    this.peer.on('close', () => this.setStatus('closed'));
    this.peer.on('error', () => this.setStatus('closed'));
  }

  get status(): LinkStatus {
    return this.statusValue;
  }
  /** 'turn' when the selected ICE candidate pair goes through a TURN server, else 'direct'. */
  get kind(): TransportKind {
    return this.kindValue;
  }

  /** A signal from the peer, already validated by the signaling client. */
  signal(data: SignalPayload): void {
    if (this.statusValue === 'closed') return;
    try {
      this.peer.signal(data);
    } catch {
      this.rejectedSignals++;
    }
  }

  send(bytes: Uint8Array, { reliable }: TransportSendOptions): void {
    if (this.statusValue !== 'open') return;
    try {
      // Until the unordered channel opens (a moment after the first), the ordered one carries
      // everything: a first ping must not be lost, it decides when traffic moves here.
      if (!reliable && this.unordered.readyState === 'open')
        this.unordered.send(bytes as Uint8Array<ArrayBuffer>);
      else this.peer.send(bytes);
    } catch {
      // The channel closed under us; the session notices through the status and falls back.
      this.setStatus('closed');
    }
  }

  onMessage(handler: (bytes: Uint8Array) => void) {
    return this.messages.on(handler);
  }
  onStatus(handler: (status: LinkStatus) => void) {
    return this.statuses.on(handler);
  }
  onKind(handler: (kind: TransportKind) => void) {
    return this.kinds.on(handler);
  }

  close(): void {
    this.setStatus('closed');
    this.peer.destroy();
  }

  /** Reads the selected candidate pair: a relay candidate on either end means a TURN path. */
  private async checkPath(): Promise<void> {
    if (this.statusValue !== 'open') return;
    let stats: RTCStatsReport;
    try {
      stats = await this.peer._pc.getStats();
    } catch {
      return; // Closed meanwhile.
    }
    const kind = pathKind(stats);
    // Read again: the transport may have closed while the stats were gathered.
    const closed = (this.statusValue as LinkStatus) === 'closed';
    if (kind === undefined || kind === this.kindValue || closed) return;
    this.kindValue = kind;
    this.kinds.emit(kind);
  }

  private setStatus(status: LinkStatus): void {
    if (this.statusValue === status || this.statusValue === 'closed') return;
    this.statusValue = status;
    this.statuses.emit(status);
  }
}

/**
 * Whether the selected candidate pair in a `getStats()` report runs through a TURN server;
 * undefined while no pair is selected yet.
 */
export function pathKind(stats: RTCStatsReport): 'direct' | 'turn' | undefined {
  let pairId: string | undefined;
  stats.forEach((report) => {
    if (report.type === 'transport' && report.selectedCandidatePairId)
      pairId = report.selectedCandidatePairId;
  });
  // Browsers without the transport report mark the pair itself.
  if (pairId === undefined) {
    stats.forEach((report) => {
      if (report.type === 'candidate-pair' && report.selected) pairId = report.id;
    });
  }
  const pair = pairId === undefined ? undefined : stats.get(pairId);
  if (pair === undefined) return undefined;
  const local = stats.get(pair.localCandidateId);
  const remote = stats.get(pair.remoteCandidateId);
  return local?.candidateType === 'relay' || remote?.candidateType === 'relay' ? 'turn' : 'direct';
}
