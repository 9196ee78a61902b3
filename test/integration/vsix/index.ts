import { runSuites } from '../lib/mochaEntry';

export function run(): Promise<void> {
  return runSuites(__dirname);
}
