/**
 * What the caption job needs from a speech-to-text engine. The job hands over 16 kHz
 * mono signed 16-bit PCM (sample 0 = VOD time 0) and gets words with their times back.
 * PocketsphinxRecognizer implements it; whisper.cpp or a cloud service can too.
 */
import type { Readable } from 'node:stream';

export interface RecognizedWord {
  readonly word: string;
  /** Seconds from the first PCM sample. */
  readonly startSec: number;
  readonly endSec: number;
  /** 0…1 where the engine reports it. */
  readonly confidence?: number;
}

export interface RecognizeOptions {
  readonly signal: AbortSignal;
  /** Seconds of audio consumed so far (drives progress). */
  readonly onProgress?: (audioSec: number) => void;
}

export const RECOGNIZER_SAMPLE_RATE = 16_000;

export interface SpeechRecognizer {
  /** Short engine name for status and logs, e.g. 'pocketsphinx'. */
  readonly name: string;
  /** Null when the engine can run here; otherwise what to install or set. */
  unavailableReason(): Promise<string | null>;
  /** Recognizes s16le mono PCM at RECOGNIZER_SAMPLE_RATE read from `pcm` until it ends. */
  recognize(pcm: Readable, options: RecognizeOptions): Promise<RecognizedWord[]>;
}
