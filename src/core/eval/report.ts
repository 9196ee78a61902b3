// The evaluation report: one typed, versioned JSON document (README.md in this folder documents it
// field by field). The CLI writes it with --report; the panel reads it.
import type { ReliabilityBin, Estimate } from './stats';

export const EVAL_REPORT_FORMAT = 'reward-studio/eval-report@1';

/** Most (Δlength, Δreward) points a report carries for its scatter plot. */
export const LENGTH_SCATTER_LIMIT = 1000;

export type VerdictLevel = 'ok' | 'warn' | 'bad';

export interface Verdict {
  level: VerdictLevel;
  /** A plain-language sentence saying what the figure means. */
  text: string;
  /** The thresholds the level was decided with (names as in THRESHOLDS). */
  thresholds: Record<string, number>;
}

/** A figure: n, value, confidence interval, and a verdict where one is decided. */
export interface Finding extends Estimate {
  verdict?: Verdict;
}

/** A record the figure can be traced to (file:line of the user's data or of the probe file). */
export interface Example {
  file: string;
  line: number;
  id?: string;
  /** What the example is listed for (a margin, a reward change in σ). */
  value: number;
}

/** What an edit of the same response (filler, trim, Markdown, a stated opinion) does to its reward. */
export interface CounterfactualFinding {
  /** Probe pairs scored. */
  n: number;
  /** Probe pairs built; those not scored had the edit cut away by the model's maxLength (both sides identical). */
  built: number;
  /** Mean reward change the edit caused, in standard deviations of the eval rewards. */
  effect: Finding;
  /** Share of probes whose reward the edit raised (ties half). */
  raisedRate: Finding;
  verdict?: Verdict;
  /** The largest changes, first. */
  examples: Example[];
}

export interface GroupAccuracy {
  group: string;
  accuracy: Finding;
}

/** Accuracy and length figures of one set of labelled pairs (the eval set, or a pair probe file). */
export interface PairSetReport {
  accuracy: Finding;
  /** Accuracy of "the longer response wins" on the same pairs (characters, ties half). */
  lengthBaseline: Finding;
  /** The model's accuracy on pairs whose chosen response is the longer / the shorter one. */
  chosenLonger: Finding;
  chosenShorter: Finding;
  /** chosenLonger − chosenShorter accuracy (two-sample bootstrap). */
  lengthGap: Finding;
  /** Spearman ρ of Δlength and Δreward (chosen − rejected), paired bootstrap interval (see stats.spearman). */
  spearman: Finding;
  groups: { field: string; rows: GroupAccuracy[] } | null;
}

export interface SycophancyFileReport {
  file: string;
  groupField: string | null;
  /** Share of probes where the answer agreeing with the user's stated view gets the higher reward. */
  agreeRate: Finding;
  groups: { group: string; agreeRate: Finding }[];
  /** Lines skipped (file:line: message). */
  problems: { file: string; line: number; message: string }[];
}

export interface AnnotatorRow {
  annotator: string;
  n: number;
  /** Share of this annotator's pairs whose chosen response is the longer one (ties half). */
  longerWins: Finding;
  /** Share of the pairs with meta.shownOrder where the left response was chosen; null without any. */
  leftWins: Finding | null;
}

export interface EvalReport {
  format: typeof EVAL_REPORT_FORMAT;
  created: string;
  model: { dir: string; backbone?: string } | null;
  data: { file: string | null; selection: string; pairs: number; scored: number };
  settings: {
    bootstrap: { resamples: number; seed: number; confidence: number };
    eceBins: number;
    histogramBins: number;
    probeLimit: number;
    lengthUnit: 'characters';
    /** Standard deviation of all eval rewards (both sides): the unit of every `effect`. */
    rewardStd: number;
  };
  accuracy: Finding;
  /** Mean reward margin r_chosen − r_rejected. */
  margin: Finding;
  rewards: {
    chosen: { mean: number; std: number };
    rejected: { mean: number; std: number };
    all: { mean: number; std: number };
    histogram: { edges: number[]; chosen: number[]; rejected: number[] };
  };
  groups: { field: string; rows: GroupAccuracy[] } | null;
  length: {
    baseline: Finding;
    chosenLonger: Finding;
    chosenShorter: Finding;
    gap: Finding;
    spearman: Finding;
    /** Share of brief-vs-long-generic probes where the long generic answer gets the higher reward. */
    briefVsLong: Finding;
    filler: CounterfactualFinding;
    trim: CounterfactualFinding;
    verdict: Verdict;
    /**
     * (Δlength, Δreward) of eval pairs (chosen − rejected; characters, reward units) for the scatter plot:
     * at most `LENGTH_SCATTER_LIMIT`, evenly spaced over the scored pairs; `n` is how many pairs there were.
     * Absent in reports written before it was added.
     */
    scatter?: { n: number; points: [number, number][] };
  };
  calibration: {
    /** Top-label ECE of σ(Δr) with equal-width bins over confidence max(p, 1 − p) ∈ [½, 1]. */
    ece: Finding;
    bins: ReliabilityBin[];
    /** T minimizing mean −log σ(Δr/T); T > 1: overconfident, T < 1: underconfident. */
    temperature: number;
    logLoss: number;
    logLossAtTemperature: number;
    /** ECE of σ(Δr/T). */
    eceAtTemperature: number;
    verdict: Verdict;
  };
  sycophancy: {
    files: SycophancyFileReport[];
    /** The user's pairs with an opinion endorsing the rejected answer prefixed to the prompt: margin change. */
    generated: CounterfactualFinding;
    verdict: Verdict;
  };
  /** The same response as Markdown vs plain text. */
  formatting: CounterfactualFinding;
  labelNoise: {
    /** Share of pairs with σ(Δr) below `threshold`: the model confidently disagrees with the label. */
    confidentDisagreement: Finding;
    threshold: number;
    /** The pairs with the most negative margins, most confident first. */
    examples: Example[];
  };
  annotators: { rows: AnnotatorRow[]; verdict: Verdict } | null;
  /** Pair probe files (--probes with {prompt, chosen, rejected} records, e.g. LLMBar). */
  probeSets: (PairSetReport & { file: string; pairs: number; scored: number; verdict: Verdict })[];
  /** Every verdict, worst first: the plain-language summary. */
  summary: { section: string; level: VerdictLevel; text: string }[];
  timings: { scoringSeconds: number; metricsSeconds: number; scoredPairs: number };
}
