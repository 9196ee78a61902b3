// Loading a trained model folder for a command (score, eval): the runtime on this thread, the model
// with its tokenizer checked, the clear failures as exit 1, and both released whatever happens.
import { Runtime } from '../core/runtime';
import { ModelLoadError, RewardModel } from '../core/score/rewardModel';
import { TokenizerLoadError, TokenizerMismatchError } from '../core/tokenize';
import { providerOption, type Io, type Values } from './common';

/** Runs `use` with the model of --model (and --tokenizer, --provider); returns its exit code. */
export async function withRewardModel(command: string, values: Values, io: Io, use: (model: RewardModel) => Promise<number>): Promise<number> {
  const provider = providerOption(values);
  const rt = await Runtime.start({ provider, isolation: 'none', ortLogLevel: 'fatal' });
  let model: RewardModel | undefined;
  try {
    try {
      model = await RewardModel.load(values.model as string, rt, { tokenizer: values.tokenizer as string | undefined });
    } catch (e) {
      if (e instanceof ModelLoadError || e instanceof TokenizerMismatchError || e instanceof TokenizerLoadError) {
        io.err(`reward-studio ${command}: ${e.message}`);
        return 1;
      }
      throw e;
    }
    return await use(model);
  } finally {
    await model?.release().catch(() => undefined);
    await rt.dispose().catch(() => undefined);
  }
}
