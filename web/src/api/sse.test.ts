import { describe, expect, it } from 'vitest';
import { readEventStream, SseParser, type SseEvent } from './sse';

describe('SseParser', () => {
  it('parses named events with JSON data', () => {
    const parser = new SseParser();
    const events = parser.feed(
      'retry: 2000\n\nevent: progress\ndata: {"percent":50}\n\nevent: ready\ndata: {"percent":100}\n\n',
    );
    expect(events).toEqual([
      { event: 'progress', data: '{"percent":50}', id: undefined },
      { event: 'ready', data: '{"percent":100}', id: undefined },
    ]);
    expect(parser.retry).toBe(2000);
  });

  it('joins events split across chunks at any byte', () => {
    const text = 'event: progress\ndata: {"rows":1}\n\nevent: failed\ndata: {"error":"bad"}\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.feed(text.slice(0, cut)), ...parser.feed(text.slice(cut))];
      expect(events.map((e) => e.event)).toEqual(['progress', 'failed']);
      expect(events[1]?.data).toBe('{"error":"bad"}');
    }
  });

  it('handles CRLF and CR line endings, also split between chunks', () => {
    const parser = new SseParser();
    const events = [
      ...parser.feed('event: a\r\ndata: 1\r'),
      ...parser.feed('\n\r\n'),
      ...parser.feed('data: 2\r\r'),
    ];
    expect(events).toEqual([
      { event: 'a', data: '1', id: undefined },
      { event: 'message', data: '2', id: undefined },
    ]);
  });

  it('joins multi-line data, skips comments and keeps the last id', () => {
    const parser = new SseParser();
    const events = parser.feed(
      ': keep-alive\nid: 7\ndata: line one\ndata:line two\nunknown: x\n\n',
    );
    expect(events).toEqual([{ event: 'message', data: 'line one\nline two', id: '7' }]);
  });

  it('dispatches nothing for an event without data, and drops an unterminated one', () => {
    const parser = new SseParser();
    expect(parser.feed('event: ping\n\n')).toEqual([]);
    expect(parser.feed('event: progress\ndata: {}')).toEqual([]);
    parser.end();
    expect(parser.feed('\n\n')).toEqual([]);
  });
});

describe('readEventStream', () => {
  it('reads a byte stream with a multi-byte character split across chunks', async () => {
    const bytes = new TextEncoder().encode('event: ready\ndata: {"name":"Umsätze"}\n\n');
    const split = bytes.indexOf(0xc3) + 1; // inside "ä"
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, split));
        controller.enqueue(bytes.slice(split));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    await readEventStream(stream, (e) => events.push(e));
    expect(events).toEqual([{ event: 'ready', data: '{"name":"Umsätze"}', id: undefined }]);
  });
});
