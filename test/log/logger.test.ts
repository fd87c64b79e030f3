import { Writable } from 'node:stream';
import { createLogger } from '../../src/log/logger';

function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logger', () => {
  it('writes one JSON object per line with level, time, event and child bindings', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream }).child({ callId: 'c1', legId: 'caller' });
    log.info({ event: 'call.started' }, 'started');
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 'info', event: 'call.started', callId: 'c1', legId: 'caller', msg: 'started' });
    expect(typeof line.time).toBe('string');
  });

  it('redacts secrets wherever they appear in a logged object', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream });
    log.info({ config: { TWILIO_AUTH_TOKEN: 'tok-123', GEMINI_API_KEY: 'key-456' }, headers: { authorization: 'Bearer abc' }, token: 't0k' });
    const text = JSON.stringify(out.lines());
    for (const secret of ['tok-123', 'key-456', 'Bearer abc', 't0k']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});
