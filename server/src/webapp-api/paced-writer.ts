/**
 * Writes SSE blocks to a client at the pace it reads. Once the socket's buffer
 * is full (`write` answered false), further blocks are not queued but dropped,
 * and when the client catches up ('drain') it is told to refetch (`resync`):
 * live events are hints, so nothing is lost, and a client that stops reading
 * costs at most one buffer. A client that does not catch up within `stallMs`
 * is given up on (`onStall`), which frees its stream.
 */
export interface DrainableOutput {
  /** False when the block was buffered beyond the high-water mark: wait for 'drain'. */
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}

export interface PacedWriterOptions {
  stallMs: number;
  /** The block that tells the client to refetch, as it stands when the client catches up. */
  resyncBlock(): string;
  onStall(): void;
  /** The first block dropped since the client fell behind. */
  onBehind?(): void;
}

export interface PacedWriter {
  write(block: string): void;
  /** Stops writing and waiting (the stream ended). */
  stop(): void;
}

export function createPacedWriter(out: DrainableOutput, options: PacedWriterOptions): PacedWriter {
  let stopped = false;
  let congested = false;
  let dropped = false;
  let stallTimer: NodeJS.Timeout | undefined;

  const drained = (): void => {
    clearTimeout(stallTimer);
    congested = false;
    if (!dropped) return;
    dropped = false;
    write(options.resyncBlock());
  };

  const write = (block: string): void => {
    if (stopped) return;
    if (congested) {
      if (!dropped) options.onBehind?.();
      dropped = true;
      return;
    }
    if (out.write(block)) return;
    congested = true;
    out.once('drain', drained);
    stallTimer = setTimeout(() => {
      if (stopped) return;
      stop();
      options.onStall();
    }, options.stallMs);
    stallTimer.unref();
  };

  const stop = (): void => {
    stopped = true;
    clearTimeout(stallTimer);
    out.removeListener('drain', drained);
  };

  return { write, stop };
}
