// simple-peer extends readable-stream's Duplex but lanparty uses only its events ('data',
// 'connect', 'close', 'error', 'signal') and send(): this is the part of Duplex it relies on,
// in place of ~36 KB of stream machinery in the browser bundle.
const { EventEmitter } = require('events');

class Duplex extends EventEmitter {
  constructor() {
    super();
    this.readable = true;
    this.writable = true;
    this._readableState = { ended: false };
    this._writableState = { finished: false };
  }
  /** Hands received data to 'data' listeners; null ends the readable side. */
  push(chunk) {
    if (chunk === null) {
      if (this._readableState.ended) return false;
      this._readableState.ended = true;
      this.emit('end');
      return false;
    }
    this.emit('data', chunk);
    return true;
  }
  write(chunk, encoding, cb) {
    this._write(chunk, encoding, cb ?? (() => {}));
    return true;
  }
  /** Ends the writable side ('finish': simple-peer then closes the connection). */
  end() {
    if (this._writableState.finished) return this;
    this._writableState.finished = true;
    queueMicrotask(() => this.emit('finish'));
    return this;
  }
}

module.exports = { Duplex };
