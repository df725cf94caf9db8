/**
 * Which ffmpeg binary to run: the FFMPEG_PATH setting (passed in by signaling/config.ts)
 * or the static build from @ffmpeg-installer/ffmpeg.
 */
export async function resolveFfmpegPath(override?: string): Promise<string> {
  if (override) return override;
  const installer = (await import('@ffmpeg-installer/ffmpeg')).default;
  return installer.path;
}
