import type { LobbyView } from '../../shared/protocol/signaling.ts';
import { Emitter, type Link, type Unsubscribe } from '../net/link.ts';
import type { PeerNetwork } from '../net/peer-network.ts';
import type { SignalingClient } from '../net/signaling-client.ts';
import {
  type ChatLine,
  type ChatRefusal,
  decodeFromHost,
  decodeSay,
  encodeFromHost,
  encodeHistory,
  encodeSay,
  isChatFrame,
} from './chat-frames.ts';
import { type ChatRateLimits, ChatRoom } from './chat-room.ts';

export interface ChatChannelOptions {
  readonly client: SignalingClient;
  readonly network: PeerNetwork;
  readonly now?: () => number;
  readonly limits?: Partial<ChatRateLimits>;
}

/**
 * Chat on the peer links: the host checks every message (`ChatRoom`) and sends the accepted
 * lines to everyone, players and spectators, and its history to each newcomer (and to a page that
 * reloaded); guests send their messages to the host and keep its lines. Joins, leaves and host
 * changes become system lines at the host. Follows host migration: the new host carries on with
 * the lines it holds.
 */
export class ChatChannel {
  readonly room: ChatRoom;
  /** Why the host refused this player's last message, until the next line it sends goes out. */
  refusal: ChatRefusal | undefined;
  /** The newest line that came as history (on joining, or from a new host): not news. */
  historyUpTo = -1;
  private readonly changes = new Emitter<[ChatLine | undefined]>();
  private readonly links = new Map<number, Unsubscribe>();
  private readonly off: Unsubscribe[];
  private roster: LobbyView | undefined;

  constructor(private readonly options: ChatChannelOptions) {
    const { client, network } = options;
    this.room = new ChatRoom(options.now ?? (() => performance.now()), options.limits);
    this.off = [
      network.onPeer((id, session) => this.attach(id, session)),
      network.onPeerRemoved((id) => this.detach(id)),
      client.onLobby((lobby) => this.follow(lobby)),
    ];
    for (const { id } of network.info()) {
      const session = network.session(id);
      if (session) this.attach(id, session);
    }
    this.roster = client.lobby;
  }

  get lines(): readonly ChatLine[] {
    return this.room.lines;
  }

  /** A new line (its value), or a refusal or mute change (undefined). */
  onChange(handler: (line: ChatLine | undefined) => void): Unsubscribe {
    return this.changes.on(handler);
  }

  /** This player's message: through the host, or, on the host, straight to everyone. */
  send(text: string): void {
    const { client, network } = this.options;
    const me = client.you;
    const lobby = client.lobby;
    if (me === undefined || lobby === undefined) return this.refused('offline');
    if (client.isHost) {
      const line = this.room.say(me, nameOf(lobby, me), text);
      if (line.ok) this.broadcast(line.value);
      else this.refused(line.error.reason);
      return;
    }
    const host = network.session(lobby.hostId);
    if (host === undefined || host.status === 'closed') return this.refused('offline');
    host.send(encodeSay(text), { reliable: true });
  }

  /** Host: mutes or unmutes a player; the player is told, and every guest keeps the list. */
  mute(id: number, muted: boolean): void {
    if (!this.options.client.isHost) return;
    this.mutesChanging(() => this.room.mute(id, muted));
    if (muted) this.tell(id, 'muted');
    this.changes.emit(undefined);
  }

  dispose(): void {
    for (const off of this.off) off();
    for (const off of this.links.values()) off();
    this.links.clear();
    this.changes.clear();
  }

  /** Listens to a peer's link (a guest's, at the host; the host's, at a guest). */
  private attach(id: number, link: Link): void {
    this.links.get(id)?.();
    const offMessage = link.onMessage((bytes) => {
      if (isChatFrame(bytes)) this.receive(id, bytes);
    });
    // A guest's page that reloaded lost its lines: the host sends them again.
    const offReset = link.onReset(() => this.sendHistory(link));
    this.links.set(id, () => {
      offMessage();
      offReset();
    });
    this.sendHistory(link);
  }

  private detach(id: number): void {
    this.links.get(id)?.();
    this.links.delete(id);
  }

  private sendHistory(link: Link): void {
    if (!this.options.client.isHost) return;
    for (const frame of encodeHistory(this.room.lines)) link.send(frame, { reliable: true });
    link.send(this.mutesFrame(), { reliable: true });
  }

  /** Host: runs `change`; if the muted players changed, every guest gets the new list. */
  private mutesChanging<T>(change: () => T): T {
    const before = this.room.muted;
    const result = change();
    if (this.room.muted !== before) this.sendToAll(this.mutesFrame());
    return result;
  }

  private mutesFrame(): Uint8Array {
    return encodeFromHost({ type: 'muted', ids: [...this.room.muted] });
  }

  private receive(from: number, bytes: Uint8Array): void {
    const { client } = this.options;
    const lobby = client.lobby;
    if (lobby === undefined) return;
    if (client.isHost) {
      const text = decodeSay(bytes);
      // A flood can mute its sender.
      const line = this.mutesChanging(() =>
        this.room.say(from, nameOf(lobby, from), text.ok ? text.value : undefined),
      );
      if (line.ok) this.broadcast(line.value);
      else if (line.error.tell) this.tell(from, line.error.reason);
      return;
    }
    // Only the host's lines count: a guest hears from no one else on this channel.
    if (from !== lobby.hostId) return;
    const frame = decodeFromHost(bytes);
    if (!frame.ok) return;
    const msg = frame.value;
    switch (msg.type) {
      case 'line':
        this.room.receive(msg.line);
        if (msg.line.from === client.you) this.refusal = undefined;
        return this.changes.emit(msg.line);
      case 'history':
        this.room.history(msg.lines, msg.first);
        this.historyUpTo = this.room.lines.at(-1)?.seq ?? -1;
        return this.changes.emit(undefined);
      case 'refused':
        return this.refused(msg.reason);
      case 'muted':
        this.room.adoptMutes(msg.ids);
        return this.changes.emit(undefined);
    }
  }

  /** Host: joins, leaves and host changes as system lines. */
  private follow(lobby: LobbyView): void {
    const before = this.roster;
    this.roster = lobby;
    const me = this.options.client.you;
    if (before === undefined || before.code !== lobby.code || lobby.hostId !== me) return;
    const names = new Map(before.players.map((p) => [p.id, p]));
    if (before.hostId !== lobby.hostId) {
      const old = names.get(before.hostId)?.name ?? 'The host';
      this.system(`${old} left — ${nameOf(lobby, lobby.hostId)} is hosting now`);
    }
    for (const p of lobby.players) {
      if (!names.has(p.id)) this.system(`${p.name} ${p.spectator ? 'is watching' : 'joined'}`);
    }
    const now = new Set(lobby.players.map((p) => p.id));
    for (const [id, p] of names) {
      if (now.has(id) || id === before.hostId) continue;
      this.system(`${p.name} left`);
      this.mutesChanging(() => this.room.forget(id));
    }
  }

  private system(text: string): void {
    this.broadcast(this.room.system(text));
  }

  private broadcast(line: ChatLine): void {
    this.sendToAll(encodeFromHost({ type: 'line', line }));
    if (line.from === this.options.client.you) this.refusal = undefined;
    this.changes.emit(line);
  }

  /** Host: a frame to every peer it links to, players and spectators. */
  private sendToAll(frame: Uint8Array): void {
    const { network } = this.options;
    for (const { id } of network.info()) network.session(id)?.send(frame, { reliable: true });
  }

  private tell(id: number, reason: ChatRefusal): void {
    this.options.network
      .session(id)
      ?.send(encodeFromHost({ type: 'refused', reason }), { reliable: true });
  }

  private refused(reason: ChatRefusal): void {
    this.refusal = reason;
    this.changes.emit(undefined);
  }
}

const nameOf = (lobby: LobbyView, id: number): string =>
  lobby.players.find((p) => p.id === id)?.name ?? `Player ${id}`;
