/**
 * The reader registry and format detection.
 *
 * Detection sums each reader's `match` score over a sample of records and takes the highest total. The
 * scores are built so that the more specific format wins over the general one on the same record (HH
 * transcripts 20 over TRL's 10; UltraFeedback 33 over TRL's 10; …). Nothing matching, or two formats with
 * the same best total, is an error that tells the user to choose with --from: guessing wrong would
 * silently turn every record into a wrong pair.
 */
import { DataError } from '../problems';
import { FORMAT_IDS, type FormatId, type FormatReader } from './types';
import { trlReader } from './trl';
import { hhReader } from './hh';
import { nemoAlignerReader } from './nemoAligner';
import { nemoRlReader } from './nemoRl';
import { ultrafeedbackReader } from './ultrafeedback';
import { shpReader } from './shp';
import { labelStudioReader } from './labelStudio';

export const FORMAT_READERS: Record<FormatId, FormatReader> = {
  trl: trlReader,
  'hh-rlhf': hhReader,
  'nemo-aligner': nemoAlignerReader,
  'nemo-rl': nemoRlReader,
  ultrafeedback: ultrafeedbackReader,
  shp: shpReader,
  'label-studio': labelStudioReader,
};

export function isFormatId(id: string): id is FormatId {
  return (FORMAT_IDS as readonly string[]).includes(id);
}

/** The reader for a format id; a DataError naming the known ids for anything else. */
export function getReader(id: string): FormatReader {
  if (!isFormatId(id)) {
    throw new DataError(`unknown format '${id}'; --from takes one of: ${FORMAT_IDS.join(', ')}`);
  }
  return FORMAT_READERS[id];
}

export interface DetectedFormat {
  format: FormatId;
  /** The evidence, for "format: hh-rlhf (…)" lines in reports. */
  reason: string;
}

export function detectFormat(records: Record<string, unknown>[]): DetectedFormat {
  if (records.length === 0) {
    throw new DataError(
      `there are no records to detect the format from; pass --from <id> (${FORMAT_IDS.join(', ')})`,
    );
  }
  const tallies = FORMAT_IDS.map((id) => {
    const reader = FORMAT_READERS[id];
    let total = 0;
    let fitting = 0;
    for (const record of records) {
      const s = safeMatch(reader, record);
      total += s;
      if (s > 0) fitting++;
    }
    return { id, reader, total, fitting };
  }).sort((a, b) => b.total - a.total);

  const [best, second] = tallies;
  if (best.total === 0) {
    throw new DataError(
      `the format is not one Reward Studio recognises: none of the ${records.length} sampled records fits a known shape ` +
        `(the first has ${describeKeys(records[0])}). Expected, for example, TRL ${trlReader.shape}. ` +
        `If the file is in a supported format, pass --from <id> (${FORMAT_IDS.join(', ')}) to see what is wrong with its records.`,
    );
  }
  const tied = tallies.filter((t) => t.total === best.total);
  if (tied.length > 1) {
    throw new DataError(
      `the format is ambiguous: the sampled records fit ${tied.map((t) => `${t.id} (${t.reader.title})`).join(' and ')} equally well. ` +
        `Pass --from <id> to choose: ${tied.map((t) => `--from ${t.id}`).join(' or ')}.`,
    );
  }
  const runnerUp = second && second.total > 0 ? `; next best ${second.id}, score ${second.total}` : '';
  return {
    format: best.id,
    reason: `detected: ${best.fitting} of ${records.length} sampled records look like ${best.reader.title} (score ${best.total}${runnerUp})`,
  };
}

/** A reader's match must never break detection for the others. */
function safeMatch(reader: FormatReader, record: Record<string, unknown>): number {
  try {
    const s = reader.match(record);
    return Number.isFinite(s) && s > 0 ? s : 0;
  } catch {
    return 0;
  }
}

function describeKeys(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  if (keys.length === 0) return 'no fields';
  const shown = keys.slice(0, 8).map((k) => JSON.stringify(k));
  return `fields ${shown.join(', ')}${keys.length > 8 ? `, … (${keys.length} in all)` : ''}`;
}
