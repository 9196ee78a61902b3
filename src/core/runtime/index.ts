// The runtime: the only place that loads onnxruntime-node. Everything here is safe to import eagerly —
// onnxruntime-node itself is loaded only inside the host (worker thread, child process, or on first use
// with isolation 'none').
export { Runtime, RuntimeSession, checkFeeds, defaultWorkerScript } from './runtime';
export type { RunOptions, RuntimeExit, RuntimeOptions } from './runtime';
export {
  FeedError,
  ProviderUnavailableError,
  RunCancelledError,
  RuntimeCrashedError,
  RuntimeDisposedError,
  RuntimeError,
  SessionCreateError,
  SessionRunError,
} from './errors';
export type { RuntimeErrorCode } from './errors';
export { DTYPES, describeTensor, elementCount, tensor } from './tensor';
export type { DType, Tensor, TensorData, TensorDataByDType, TensorOf } from './tensor';
export { AUTO_PROVIDER_ORDER, PROVIDER_TITLE } from './types';
export type {
  GraphOptimization,
  Isolation,
  ProviderAttempt,
  ProviderChoice,
  ProviderName,
  ProviderReport,
  SessionInfo,
  SessionOptions,
  ValueInfo,
} from './types';
