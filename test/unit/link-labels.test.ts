import { describe, expect, it } from 'vitest';
import type { LobbyView } from '../../shared/protocol/signaling.ts';
import { linkLabel, linkText, relayNote } from '../../web/app/link-labels.ts';
import type { PeerInfo } from '../../web/net/peer-network.ts';

const lobby: LobbyView = {
  code: 'ABCDEFGHJKMNP',
  link: 'http://x/l/ABCDEFGHJKMNP',
  hostId: 1,
  locked: false,
  capacity: 8,
  players: [
    { id: 1, name: 'Host', connected: true },
    { id: 2, name: 'Ada', connected: true, link: 'turn' },
    { id: 3, name: 'Bea', connected: true, link: 'relay' },
  ],
};
const peer = (id: number, kind: PeerInfo['kind'], rtt?: number): PeerInfo => ({
  id,
  kind,
  rtt,
  present: true,
});

describe('link labels', () => {
  it('the host shows what it measures itself for every guest', () => {
    const peers = [peer(2, 'direct', 12.4), peer(3, 'relay')];
    expect(linkLabel(2, lobby, 1, peers)).toEqual({ kind: 'direct', rtt: 12.4 });
    expect(linkLabel(3, lobby, 1, peers)).toEqual({ kind: 'relay', rtt: undefined });
    expect(linkLabel(1, lobby, 1, peers)).toBeUndefined();
  });

  it('a guest shows its own link on the host’s row and the host’s reports for other guests', () => {
    const peers = [peer(1, 'turn', 30)];
    expect(linkLabel(1, lobby, 2, peers)).toEqual({ kind: 'turn', rtt: 30 });
    expect(linkLabel(3, lobby, 2, peers)).toEqual({ kind: 'relay', rtt: undefined });
    expect(linkLabel(2, lobby, 2, peers)).toBeUndefined();
  });

  it('reads "kind · rtt ms"', () => {
    expect(linkText({ kind: 'direct', rtt: 12.6 })).toBe('direct · 13 ms');
    expect(linkText({ kind: 'relay', rtt: undefined })).toBe('relay');
  });
});

describe('the relay note', () => {
  const base = {
    webrtcMissing: false,
    relayOnly: false,
    isHost: false,
    toHost: 'relay' as const,
    guestsOnRelay: 0,
    iceServers: [],
  };
  it('names the likely cause: no STUN/TURN, no TURN, or a blocked path', () => {
    expect(relayNote(base)).toMatch(/this server offers no STUN\/TURN/);
    const stun = [{ urls: 'stun:game.example:8080' }];
    expect(relayNote({ ...base, iceServers: stun })).toMatch(/no TURN server to go around it/);
    const turn = [...stun, { urls: ['turn:game.example:3478'], username: 'u', credential: 'p' }];
    expect(relayNote({ ...base, iceServers: turn })).toMatch(/no direct or TURN path yet/);
  });

  it('says nothing on a direct or TURN link, and explains the browser and the setting first', () => {
    expect(relayNote({ ...base, toHost: 'direct' })).toBe('');
    expect(relayNote({ ...base, toHost: 'turn' })).toBe('');
    expect(relayNote({ ...base, relayOnly: true })).toMatch(/^Relay only is on/);
    expect(relayNote({ ...base, webrtcMissing: true })).toMatch(/no WebRTC/);
  });

  it('tells the host how many of its players are on the relay', () => {
    const host = { ...base, isHost: true, toHost: undefined };
    expect(relayNote(host)).toBe('');
    expect(relayNote({ ...host, guestsOnRelay: 1 })).toMatch(/^One player plays through/);
    expect(relayNote({ ...host, guestsOnRelay: 3 })).toMatch(/^3 players play through/);
    // With STUN but no TURN the host cannot tell a strict network from a guest's own setting.
    const stun = [{ urls: 'stun:game.example:8080' }];
    expect(relayNote({ ...host, guestsOnRelay: 1, iceServers: stun })).toMatch(
      /no direct path to them \(a strict router or firewall, or their relay-only setting\)/,
    );
  });
});
