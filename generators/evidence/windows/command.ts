/**
 * What `npm run evidence -- classify` needs to handle Windows captures, in two calls: which
 * platform the given captures are from, and the Windows classify command itself (output on
 * stdout, exit code back). Wiring it into cli.ts is a few lines:
 *
 * ```ts
 * const platform = await capturesPlatform(captures);
 * if (platform.kind === 'mixed') throw new UsageError(platform.message);
 * if (platform.kind === 'windows') return windowsClassifyCommand(captures, { json }, io);
 * ```
 */
import { type CliIo, EXIT } from '../../../scripts/lib/cli-kit.ts';
import { classifyWindowsCaptures } from './classify.ts';
import { detectWindowsCapture } from './detect.ts';
import type { WindowsLayout } from './event.ts';
import { renderWindowsClassify, windowsClassifyJson } from './report.ts';

export type CapturesPlatform =
  | { kind: 'windows'; layouts: WindowsLayout[] }
  | { kind: 'not-windows' }
  | { kind: 'mixed'; message: string };

/**
 * Whether every capture is a Windows capture (then read them with the Windows readers), none is
 * (then the Linux readers decide), or some are and some are not, which is refused: one classify
 * run judges one platform.
 */
export async function capturesPlatform(paths: readonly string[]): Promise<CapturesPlatform> {
  const windows: { path: string; layout: WindowsLayout }[] = [];
  const other: string[] = [];
  for (const path of paths) {
    const found = await detectWindowsCapture(path);
    if (found.ok) windows.push({ path, layout: found.layout });
    else other.push(path);
  }
  if (other.length === 0 && windows.length > 0)
    return { kind: 'windows', layouts: windows.map((w) => w.layout) };
  if (windows.length === 0) return { kind: 'not-windows' };
  return {
    kind: 'mixed',
    message: `Some captures are Windows captures (${windows.map((w) => w.path).join(', ')}) and some are not (${other.join(', ')}). Classify one platform's captures at a time.`,
  };
}

/**
 * Classifies Windows captures and prints the result (Markdown table per host, or one JSON line).
 * @example process.exitCode = await windowsClassifyCommand(['a.xml'], { json: false }, processIo)
 */
export async function windowsClassifyCommand(
  paths: readonly string[],
  options: { json: boolean; layout?: WindowsLayout | undefined },
  io: CliIo,
): Promise<number> {
  const result = await classifyWindowsCaptures(paths, { layout: options.layout });
  io.stdout(options.json ? windowsClassifyJson(result) : renderWindowsClassify(result));
  for (const c of result.captures)
    if (c.malformed > 0)
      io.stderr(
        `${c.file}: ${c.malformed} malformed record(s) skipped; the first is at ${
          c.malformedSamples[0]?.line !== undefined
            ? `line ${c.malformedSamples[0].line}`
            : `byte ${c.malformedSamples[0]?.byteOffset}`
        } (${c.malformedSamples[0]?.reason}).\n`,
      );
  return EXIT.ok;
}
