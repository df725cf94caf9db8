/**
 * Public surface of the VOD pipeline for signaling: the library (stream lifecycle → VOD,
 * background jobs, resume after a crash), the origin under /vod/:id/, and the speech
 * recognizer interface with its PocketSphinx implementation.
 */
export { VodLibrary, type VodLibraryOptions, type VodSummary, type VodState, type VodJobProgress, type VodView } from './VodLibrary.ts';
export { VodOrigin, isFileSlice, readBody, type FileSlice, type VodRequest, type VodResponse } from './VodOrigin.ts';
export { PocketsphinxRecognizer, type PocketsphinxOptions } from './PocketsphinxRecognizer.ts';
export type { SpeechRecognizer, RecognizedWord, RecognizeOptions } from './speech-recognizer.ts';
export type { Chapter, ChapterMark, ChapterSource } from './chapters.ts';
export type { MissingSegment } from './archive-index.ts';
