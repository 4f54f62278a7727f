/**
 * Writing live updates at the pace the client reads, against a real Writable
 * whose reader the test holds back: a congested stream drops blocks rather
 * than buffering them, tells the client to refetch once it catches up, and is
 * given up on when it never does.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createPacedWriter } from '../../../server/src/webapp-api/paced-writer.js';
import { waitFor } from '../../helpers/wait-for.js';

/** A socket-like output with a 64-byte buffer whose client reads only when told to. */
function slowClient() {
  const received: string[] = [];
  const held: (() => void)[] = [];
  let reading = false;
  const out = new Writable({
    highWaterMark: 64,
    decodeStrings: false,
    write(chunk: string, _encoding, done) {
      received.push(chunk);
      if (reading) done();
      else held.push(done);
    },
  });
  return {
    out,
    received,
    read() {
      reading = true;
      for (const done of held.splice(0)) done();
    },
  };
}

const block = (n: number) => `event: work\nid: ${n}\ndata: ${'x'.repeat(40)}\n\n`;

describe('paced writer', () => {
  it('passes blocks through while the client keeps up', async () => {
    const client = slowClient();
    client.read();
    const writer = createPacedWriter(client.out, { stallMs: 10_000, resyncBlock: () => 'resync\n\n', onStall: () => undefined });
    for (let n = 1; n <= 50; n += 1) writer.write(block(n));
    await waitFor(() => client.received.length === 50, 'every block');
    expect(client.received).not.toContain('resync\n\n');
    writer.stop();
  });

  it('drops blocks while the client does not read, keeping the buffer bounded, and asks it to refetch once it catches up', async () => {
    const client = slowClient();
    let stalled = false;
    const writer = createPacedWriter(client.out, { stallMs: 10_000, resyncBlock: () => 'resync\n\n', onStall: () => (stalled = true) });
    for (let n = 1; n <= 1000; n += 1) writer.write(block(n));
    // One block in the client's hands, and at most one buffer's worth waiting: not a thousand.
    expect(client.out.writableLength).toBeLessThan(64 + block(1).length * 2);
    client.read();
    await waitFor(() => client.received.includes('resync\n\n'), 'the resync');
    expect(client.received.length).toBeLessThan(5);
    expect(client.received.at(-1)).toBe('resync\n\n');
    // Caught up: later blocks go through again.
    writer.write(block(1001));
    await waitFor(() => client.received.at(-1) === block(1001), 'a later block');
    expect(stalled).toBe(false);
    writer.stop();
  });

  it('gives up on a client that does not catch up in time, once, and writes nothing more', async () => {
    const client = slowClient();
    let stalls = 0;
    const writer = createPacedWriter(client.out, { stallMs: 100, resyncBlock: () => 'resync\n\n', onStall: () => (stalls += 1) });
    for (let n = 1; n <= 10; n += 1) writer.write(block(n));
    await waitFor(() => stalls === 1, 'the stall');
    const before = client.received.length;
    writer.write(block(11));
    client.read();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(stalls).toBe(1);
    expect(client.received.slice(before)).not.toContain('resync\n\n');
    expect(client.received).not.toContain(block(11));
  });
});
