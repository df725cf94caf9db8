/**
 * Offline speech recognition with CMU PocketSphinx (Debian: pocketsphinx + pocketsphinx-en-us):
 * `pocketsphinx_continuous -infile /dev/stdin -time yes` reads raw 16 kHz PCM from a pipe
 * and prints one "word start end confidence" line per recognized word, with times from the
 * start of the input. Fillers (<s>, </s>, <sil>, [NOISE]) are dropped and alternate
 * pronunciations ("to(3)") folded.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createLogger } from '../../signaling/logger.ts';
import { RECOGNIZER_SAMPLE_RATE, type RecognizedWord, type RecognizeOptions, type SpeechRecognizer } from './speech-recognizer.ts';

const logger = createLogger('hls:PocketsphinxRecognizer');

export interface PocketsphinxOptions {
  /** Default: pocketsphinx_continuous on PATH. */
  readonly binary?: string;
  /** Acoustic model, language model and dictionary; default: the en-us model the binary was built with. */
  readonly hmm?: string;
  readonly lm?: string;
  readonly dict?: string;
}

const DEFAULT_BINARY = 'pocketsphinx_continuous';
const DEFAULT_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
const BYTES_PER_SEC = RECOGNIZER_SAMPLE_RATE * 2;

export class PocketsphinxRecognizer implements SpeechRecognizer {
  readonly name = 'pocketsphinx';
  readonly #options: PocketsphinxOptions;

  constructor(options: PocketsphinxOptions = {}) {
    this.#options = options;
  }

  async unavailableReason(): Promise<string | null> {
    if (!(await canRun(this.#options.binary ?? DEFAULT_BINARY))) return `${this.#options.binary ?? DEFAULT_BINARY} not found: install it with "apt-get install -y pocketsphinx pocketsphinx-en-us"`;
    const model = this.#options.hmm ?? path.join(DEFAULT_MODEL_DIR, 'en-us');
    try {
      await access(path.join(model, 'mdef'), constants.R_OK);
    } catch {
      return `no PocketSphinx acoustic model at ${model}: install it with "apt-get install -y pocketsphinx-en-us"`;
    }
    return null;
  }

  recognize(pcm: Readable, options: RecognizeOptions): Promise<RecognizedWord[]> {
    const args = ['-infile', '/dev/stdin', '-time', 'yes', '-logfn', '/dev/null', '-samprate', String(RECOGNIZER_SAMPLE_RATE)];
    if (this.#options.hmm) args.push('-hmm', this.#options.hmm);
    if (this.#options.lm) args.push('-lm', this.#options.lm);
    if (this.#options.dict) args.push('-dict', this.#options.dict);
    // pocketsphinx opens -infile by name, and /dev/stdin cannot be opened when it is the socket Node
    // gives a child; `cat |` puts a real pipe in between. Its own process group, so abort kills all of it.
    const child = spawn('/bin/sh', ['-c', 'cat | exec "$0" "$@"', this.#options.binary ?? DEFAULT_BINARY, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const words: RecognizedWord[] = [];
    let pending = '';
    let stderr = '';
    let fed = 0;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const word = parseWordLine(line);
        if (word) words.push(word);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    pcm.on('data', (chunk: Buffer) => {
      fed += chunk.length;
      options.onProgress?.(fed / BYTES_PER_SEC);
    });
    // The engine may stop reading (crash): the PCM source must not hang on a dead pipe.
    child.stdin.on('error', () => pcm.unpipe(child.stdin));
    pcm.pipe(child.stdin);
    const onAbort = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    return new Promise((resolve, reject) => {
      child.on('error', (err) => reject(new Error(`cannot run ${this.#options.binary ?? DEFAULT_BINARY} (${err.message}); install it with "apt-get install -y pocketsphinx pocketsphinx-en-us"`)));
      child.on('close', (code, signal) => {
        options.signal.removeEventListener('abort', onAbort);
        const last = parseWordLine(pending);
        if (last) words.push(last);
        if (options.signal.aborted) reject(options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted'));
        else if (code === 127) reject(new Error(`${this.#options.binary ?? DEFAULT_BINARY} not found: install it with "apt-get install -y pocketsphinx pocketsphinx-en-us"`));
        else if (code !== 0) reject(new Error(`pocketsphinx exited with ${code ?? signal}: ${stderr.trim().split('\n').at(-1) || 'no message (run it by hand with -logfn omitted to see its log)'}`));
        else {
          logger.debug(`recognized [words:${words.length}] [audio:${(fed / BYTES_PER_SEC).toFixed(1)}s]`);
          resolve(words);
        }
      });
    });
  }
}

/** "hello 3.010 3.350 0.325260" → a word; fillers, hypotheses and noise → null. */
export function parseWordLine(line: string): RecognizedWord | null {
  const m = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)(?: (\d+(?:\.\d+)?))?\s*$/.exec(line.trim());
  if (!m) return null;
  const token = m[1]!;
  if (token.startsWith('<') || token.startsWith('[') || token.startsWith('+')) return null;
  const word = token.replace(/\(\d+\)$/, '');
  const confidence = m[4] === undefined ? undefined : Math.min(1, Number(m[4]));
  return { word, startSec: Number(m[2]), endSec: Number(m[3]), ...(confidence !== undefined ? { confidence } : {}) };
}

/** Runs the binary without input (it prints its usage and exits): false when it cannot be started. */
function canRun(binary: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(binary, ['-logfn', '/dev/null'], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
