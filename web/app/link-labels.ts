import type { IceServer, LinkKind, LobbyView } from '../../shared/protocol/signaling.ts';
import type { PeerInfo } from '../net/peer-network.ts';

/** What a player row or name tag says about a connection. */
export interface LinkLabel {
  /** direct: WebRTC peer to peer; turn: WebRTC through a TURN server; relay: our WebSocket relay. */
  readonly kind: LinkKind;
  /** Measured by this browser; only for its own links. */
  readonly rtt: number | undefined;
}

/**
 * How player `id` is linked, as this browser can know it: a host knows each guest's link; a guest
 * knows its own link to the host (shown on the host's row) and the other guests' links as the
 * host reported them to the server. Undefined for yourself and while unknown.
 */
export function linkLabel(
  id: number,
  lobby: LobbyView,
  you: number | undefined,
  peers: readonly PeerInfo[],
): LinkLabel | undefined {
  if (id === you) return undefined;
  const isHost = you === lobby.hostId;
  if (isHost || id === lobby.hostId) {
    const peer = peers.find((p) => p.id === id);
    if (peer === undefined) return undefined;
    return { kind: peer.kind, rtt: peer.rtt };
  }
  const reported = lobby.players.find((p) => p.id === id)?.link;
  return reported === undefined ? undefined : { kind: reported, rtt: undefined };
}

/** What a connection label reads, e.g. "direct · 12 ms". */
export function linkText(label: LinkLabel): string {
  return label.rtt === undefined ? label.kind : `${label.kind} · ${Math.round(label.rtt)} ms`;
}

/** Whether the server handed out a STUN or TURN server (without one, NATs cannot be crossed). */
export function offersStunOrTurn(iceServers: readonly IceServer[]): boolean {
  return iceServers.some((s) =>
    (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => /^(stun|turns?):/i.test(u)),
  );
}

function offersTurn(iceServers: readonly IceServer[]): boolean {
  return iceServers.some((s) =>
    (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => /^turns?:/i.test(u)),
  );
}

export interface RelayNoteInput {
  readonly webrtcMissing: boolean;
  readonly relayOnly: boolean;
  readonly isHost: boolean;
  /** A guest's own link to the host. */
  readonly toHost: LinkKind | undefined;
  /** For the host: how many guests play through the relay. */
  readonly guestsOnRelay: number;
  readonly iceServers: readonly IceServer[];
}

/**
 * Why this player's game goes through the server relay, in words a player understands; empty
 * when it does not.
 */
export function relayNote(n: RelayNoteInput): string {
  if (n.webrtcMissing)
    return 'This browser has no WebRTC: you play through the server relay, which works but adds a little delay.';
  if (n.relayOnly)
    return 'Relay only is on: you play through the server instead of connecting directly.';
  const onRelay = n.isHost ? n.guestsOnRelay > 0 : n.toHost === 'relay';
  if (!onRelay) return '';
  const who = n.isHost
    ? n.guestsOnRelay === 1
      ? 'One player plays'
      : `${n.guestsOnRelay} players play`
    : 'You play';
  if (!offersStunOrTurn(n.iceServers)) {
    return `${who} through the server relay: this server offers no STUN/TURN, so browsers on different networks cannot find a direct path to each other.`;
  }
  if (!offersTurn(n.iceServers)) {
    // The host cannot tell a strict network from a guest's own relay-only setting.
    const cause = n.isHost
      ? 'no direct path to them (a strict router or firewall, or their relay-only setting)'
      : 'a strict router or firewall blocks a direct connection';
    return `${who} through the server relay: ${cause}, and this server has no TURN server to go around it. It works, with a little more delay; the game keeps trying to connect directly.`;
  }
  return `${who} through the server relay: no direct or TURN path yet (a firewall may block it). It works, with a little more delay; the game keeps trying to connect directly.`;
}
