/**
 * Streams part of a file as an HTTP response on a raw uWS response, with backpressure
 * (tryEnd + onWritable, as uWS's own VideoStreamer example): a VOD MP4 of an hour is a
 * gigabyte, which must not be read into memory for one download. HEAD gets the headers
 * and the length only. The route owns onAborted and hands in an AbortTracker.
 */
import { STATUS_CODES } from 'node:http';
import { createReadStream } from 'node:fs';
import type { HttpResponse } from 'uWebSockets.js';

export interface AbortTracker {
  aborted: boolean;
  /** Called when the client goes away (set by the sender to stop reading). */
  onAbort: (() => void) | null;
}

export interface FileSliceBody {
  readonly file: string;
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
}

const CHUNK_BYTES = 256 * 1024;

export function sendFileSlice(res: HttpResponse, abort: AbortTracker, status: number, headers: Readonly<Record<string, string>>, slice: FileSliceBody, head: boolean): void {
  if (abort.aborted) return;
  const total = slice.end - slice.start + 1;
  const writeHead = (): void => {
    res.writeStatus(`${status} ${STATUS_CODES[status] ?? ''}`.trimEnd());
    for (const [key, value] of Object.entries(headers)) res.writeHeader(key, value);
  };
  if (head) {
    res.cork(() => {
      writeHead();
      res.endWithoutBody(total);
    });
    return;
  }
  const stream = createReadStream(slice.file, { start: slice.start, end: slice.end, highWaterMark: CHUNK_BYTES });
  let started = false;
  abort.onAbort = () => stream.destroy();
  stream.on('data', (chunk: Buffer | string) => {
    if (abort.aborted) {
      stream.destroy();
      return;
    }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    // uWS may keep a reference until written: hand it a copy it owns.
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const offset = res.getWriteOffset();
    let ok = false;
    let done = false;
    res.cork(() => {
      if (!started) {
        writeHead();
        started = true;
      }
      [ok, done] = res.tryEnd(ab, total);
    });
    if (done) {
      stream.destroy();
      return;
    }
    if (ok) return;
    stream.pause();
    res.onWritable((at) => {
      if (abort.aborted) return true;
      const [sent, finished] = res.tryEnd(ab.slice(at - offset), total);
      if (finished) stream.destroy();
      else if (sent) stream.resume();
      return sent;
    });
  });
  stream.on('error', (err) => {
    if (abort.aborted) return;
    abort.aborted = true;
    if (started) res.close();
    else
      res.cork(() => {
        res.writeStatus('500 Internal Server Error');
        res.writeHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end(`cannot read the file: ${err.message}\n`);
      });
  });
}
