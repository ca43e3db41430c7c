import { describe, expect, it } from 'vitest';
import { SseParser } from '../../cli/sse.js';

describe('SseParser', () => {
  it('parses messages split across chunks at any point', () => {
    const text = 'retry: 1000\n\nid: 7\nevent: step.started\ndata: {"a":1}\n\n: keep-alive\n\nid: 8\nevent: end\ndata: {}\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const msgs = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(msgs).toEqual([
        { event: 'step.started', data: '{"a":1}', id: '7' },
        { event: 'end', data: '{}', id: '8' },
      ]);
      expect(p.retryMs).toBe(1000);
    }
  });

  it('handles CRLF and CR line ends, multi-line data, and no space after the colon', () => {
    const p = new SseParser();
    expect(p.push('data:one\r\ndata: two\r\n\r\ndata: x\r\r')).toEqual([{ event: 'message', data: 'one\ntwo' }]);
    // The last `\r` may be half of a `\r\n`: the message is complete once the next chunk shows it is not.
    expect(p.push('data: y\n\n')).toEqual([
      { event: 'message', data: 'x' },
      { event: 'message', data: 'y' },
    ]);
  });

  it('waits for the rest of a CRLF split between chunks', () => {
    const p = new SseParser();
    expect(p.push('data: a\r')).toEqual([]);
    expect(p.push('\n\r\n')).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('dispatches an event without data (end), ignores comments and unknown fields', () => {
    const p = new SseParser();
    expect(p.push(': hello\nfoo: bar\n\nevent: end\n\n')).toEqual([{ event: 'end', data: '' }]);
  });
});
