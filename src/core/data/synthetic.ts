/**
 * A synthetic preference set with a planted ground-truth reward, for the demo and for tests: nothing is
 * downloaded, and the best attainable accuracy is known exactly.
 *
 * Each response is built from features with known weights (correct answer, politeness, a worked
 * example, rudeness, hedging filler). Labels are drawn from the Bradley–Terry model itself:
 * P(A preferred) = σ(β·(r_A − r_B)), so a perfect reward model reaches E[max(p, 1 − p)], not 100%.
 * Length is deliberately decorrelated from the reward (filler is long and worthless), so a length-only
 * scorer stays near chance.
 */
import type { PreferencePair } from './record';
import { mulberry32 } from '../random';

export const PLANTED_WEIGHTS = { correct: 2.0, polite: 0.8, example: 0.6, rude: -1.5, filler: -0.4 } as const;


const CAPITALS: Array<[string, string, string]> = [
  ['France', 'Paris', 'Lyon'], ['Japan', 'Tokyo', 'Osaka'], ['Canada', 'Ottawa', 'Toronto'],
  ['Australia', 'Canberra', 'Sydney'], ['Brazil', 'Brasília', 'Rio de Janeiro'], ['Turkey', 'Ankara', 'Istanbul'],
  ['Switzerland', 'Bern', 'Zurich'], ['Morocco', 'Rabat', 'Casablanca'], ['Vietnam', 'Hanoi', 'Ho Chi Minh City'],
  ['Nigeria', 'Abuja', 'Lagos'], ['India', 'New Delhi', 'Mumbai'], ['New Zealand', 'Wellington', 'Auckland'],
  ['South Africa', 'Pretoria', 'Johannesburg'], ['Pakistan', 'Islamabad', 'Karachi'], ['Kazakhstan', 'Astana', 'Almaty'],
  ['Bolivia', 'Sucre', 'La Paz'], ['Tanzania', 'Dodoma', 'Dar es Salaam'], ['Myanmar', 'Naypyidaw', 'Yangon'],
];
// [what is counted, the unit it is counted in (plural), factor, symbol]
const UNITS: Array<[string, string, number, string]> = [
  ['kilometres', 'miles', 1.609, 'km'], ['centimetres', 'inches', 2.54, 'cm'], ['grams', 'ounces', 28.35, 'g'],
  ['litres', 'US gallons', 3.785, 'L'], ['seconds', 'hours', 3600, 's'], ['metres', 'feet', 0.3048, 'm'],
];
const POLITE = ['Happy to help!', 'Good question.', 'Thanks for asking.', 'Sure thing.'];
const RUDE = ['Obviously.', 'Look it up next time.', 'Everyone knows this.', 'Seriously?'];
const FILLER = [
  'It is worth noting that there are many perspectives on this topic, and different sources may frame it in different ways depending on context.',
  'In general, questions like this can be approached from several angles, and it is always a good idea to consider the broader picture before drawing conclusions.',
  'Of course, this is a nuanced area, and a complete treatment would require a much longer discussion than is possible here.',
];

interface Features { correct: number; polite: number; example: number; rude: number; filler: number }

function plantedReward(f: Features): number {
  const w = PLANTED_WEIGHTS;
  return w.correct * f.correct + w.polite * f.polite + w.example * f.example + w.rude * f.rude + w.filler * f.filler;
}

function pick<T>(rng: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)];
}

function makeQuestion(rng: () => number): { prompt: string; answer: (correct: boolean, example: boolean) => string } {
  const family = rng();
  if (family < 0.3) {
    const [country, capital, wrong] = pick(rng, CAPITALS);
    const asks = [`What is the capital of ${country}?`, `Which city is the capital of ${country}?`, `Name the capital city of ${country}.`];
    return {
      prompt: pick(rng, asks),
      answer: (correct, example) =>
        `The capital of ${country} is ${correct ? capital : wrong}.` +
        (example ? ` For example, the national government of ${country} sits in ${correct ? capital : wrong}.` : ''),
    };
  }
  if (family < 0.65) {
    // Thousands of distinct prompts, so a prompt-grouped eval split has many groups.
    const a = 10 + Math.floor(rng() * 990);
    const b = 10 + Math.floor(rng() * 990);
    const right = a + b;
    const off = right + (rng() < 0.5 ? -1 : 1) * (1 + Math.floor(rng() * 20));
    return {
      prompt: `What is ${a} + ${b}?`,
      answer: (correct, example) =>
        `${a} + ${b} = ${correct ? right : off}.` +
        (example ? ` Adding the hundreds, tens and ones separately gives ${correct ? right : off}.` : ''),
    };
  }
  const [of, per, factor, unit] = pick(rng, UNITS);
  const n = 2 + Math.floor(rng() * 58);
  const right = +(n * factor).toFixed(2);
  const off = +(right * (1.3 + rng())).toFixed(2);
  return {
    prompt: `How many ${of} are in ${n} ${per}?`,
    answer: (correct, example) =>
      `${n} of them make ${correct ? right : off} ${unit}.` +
      (example ? ` For example, one is ${factor} ${unit}, so ${n} × ${factor} ${unit} = ${correct ? right : off} ${unit}.` : ''),
  };
}

function render(q: ReturnType<typeof makeQuestion>, f: Features, rng: () => number): string {
  const parts: string[] = [];
  if (f.polite) parts.push(pick(rng, POLITE));
  if (f.rude) parts.push(pick(rng, RUDE));
  parts.push(q.answer(f.correct === 1, f.example === 1));
  if (f.filler) parts.push(pick(rng, FILLER));
  return parts.join(' ');
}

function sampleFeatures(rng: () => number): Features {
  const b = (p: number): number => (rng() < p ? 1 : 0);
  return { correct: b(0.5), polite: b(0.4), example: b(0.35), rude: b(0.25), filler: b(0.4) };
}

export interface SyntheticOptions {
  n: number;
  seed?: number;
  /** Label sharpness β: larger means less label noise and a higher attainable accuracy. */
  beta?: number;
}

export interface SyntheticSet {
  pairs: PreferencePair[];
  /** Expected accuracy of the true reward: mean of max(p, 1 − p). */
  attainableAccuracy: number;
}

export function generateSyntheticPreferences(opts: SyntheticOptions): SyntheticSet {
  const rng = mulberry32(opts.seed ?? 1);
  const beta = opts.beta ?? 2;
  const pairs: PreferencePair[] = [];
  let attainable = 0;
  const seen = new Set<string>();
  while (pairs.length < opts.n) {
    const q = makeQuestion(rng);
    const fa = sampleFeatures(rng);
    const fb = sampleFeatures(rng);
    const a = render(q, fa, rng);
    const b = render(q, fb, rng);
    if (a === b) continue;
    const key = [q.prompt, ...[a, b].sort()].join('\u0000');
    if (seen.has(key)) continue; // a repeated pair would be a duplicate (or a contradiction)
    seen.add(key);
    const ra = plantedReward(fa);
    const rb = plantedReward(fb);
    const p = 1 / (1 + Math.exp(-beta * (ra - rb)));
    attainable += Math.max(p, 1 - p);
    const aWins = rng() < p;
    pairs.push({
      prompt: q.prompt,
      chosen: aWins ? a : b,
      rejected: aWins ? b : a,
      id: `synthetic-${pairs.length}`,
      meta: { source: 'reward-studio synthetic' },
      extra: { planted_reward_chosen: aWins ? ra : rb, planted_reward_rejected: aWins ? rb : ra },
    });
  }
  return { pairs, attainableAccuracy: attainable / opts.n };
}
