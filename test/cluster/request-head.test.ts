/** How the TOLK_PROCESSES supervisor tells a media stream's handshake from the first bytes of a connection. */
import { classifyHead } from '../../src/cluster/request-head';

const LIMIT = 8192;
const head = (text: string): Buffer => Buffer.from(text, 'latin1');
const HANDSHAKE = 'GET /twilio/media/box-2 HTTP/1.1\r\nHost: tolk.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Twilio-Signature: abc=\r\n\r\n';

describe('classifyHead', () => {
  it("names the instance of a media stream's handshake once its head is over", () => {
    expect(classifyHead(head(HANDSHAKE), LIMIT)).toEqual({ kind: 'stream', instance: 'box-2' });
    expect(classifyHead(head(HANDSHAKE.replace('box-2', 'Box-2')), LIMIT)).toEqual({ kind: 'stream', instance: 'box-2' });
    expect(classifyHead(head(HANDSHAKE.replace('box-2', 'box-2?leg=agent').replace('Upgrade: websocket', 'upgrade:WebSocket')), LIMIT)).toEqual({ kind: 'stream', instance: 'box-2' });
  });

  it('reads on while the bytes could still be such a handshake', () => {
    for (const cut of [1, 5, 18, 30, HANDSHAKE.length - 1]) expect(classifyHead(head(HANDSHAKE.slice(0, cut)), LIMIT)).toEqual({ kind: 'more' });
  });

  it('tells anything else from its first differing byte', () => {
    for (const start of ['P', 'POST /twilio/voice HTTP/1.1\r\n', 'GET /healthz', 'GET /twilio/medib', 'get /twilio/media/box-2', '\x16\x03\x01']) {
      expect(classifyHead(head(start), LIMIT)).toEqual({ kind: 'other' });
    }
  });

  it("takes a complete head that is not a stream's WebSocket handshake for anything else", () => {
    expect(classifyHead(head(HANDSHAKE.replace('Upgrade: websocket\r\n', '')), LIMIT)).toEqual({ kind: 'other' });
    expect(classifyHead(head(HANDSHAKE.replace('Upgrade: websocket', 'Upgrade: h2c')), LIMIT)).toEqual({ kind: 'other' });
    expect(classifyHead(head(HANDSHAKE.replace('box-2', 'box-2/extra')), LIMIT)).toEqual({ kind: 'other' });
    expect(classifyHead(head(HANDSHAKE.replace('box-2', '%62ox-2')), LIMIT)).toEqual({ kind: 'other' });
    expect(classifyHead(head(HANDSHAKE.replace('HTTP/1.1', 'HTTP/2.0')), LIMIT)).toEqual({ kind: 'other' });
    expect(classifyHead(head('GET /twilio/media/box-2 HTTP/1.1\r\n\r\n'), LIMIT)).toEqual({ kind: 'other' });
  });

  it('refuses a handshake whose head is not over within the limit', () => {
    const padded = HANDSHAKE.replace('\r\n\r\n', `\r\nX-Pad: ${'a'.repeat(LIMIT)}\r\n\r\n`);
    expect(classifyHead(head(padded.slice(0, LIMIT)), LIMIT)).toEqual({ kind: 'too_large' });
    expect(classifyHead(head(padded), LIMIT)).toEqual({ kind: 'too_large' });
    expect(classifyHead(head(HANDSHAKE), HANDSHAKE.length)).toEqual({ kind: 'stream', instance: 'box-2' });
    expect(classifyHead(head(HANDSHAKE), HANDSHAKE.length - 1)).toEqual({ kind: 'too_large' });
  });
});
