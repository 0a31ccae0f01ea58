/**
 * Version of the signaling protocol. Clients send it as `?v=` on the WebSocket URL; a server
 * speaking another version closes with `CloseCode.PROTOCOL_MISMATCH` so the page can reload.
 */
export const PROTOCOL_VERSION = 1;

/** Path of the WebSocket endpoint. */
export const WS_PATH = '/ws';
