// Reading and writing ONNX model files, with weights inline or in an external data file
// (TensorProto.data_location = EXTERNAL + external_data {location, offset, length}: how exporters store
// models over protobuf's 2 GiB limit).
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { decodeModel, encodeModelChunks } from './proto';
import { dtypeFromCode, dtypeSize, elementCount, externalInfo, isExternal, tensorBytes } from './tensor';
import { DataLocation, type AttributeProto, type GraphProto, type OnnxModel, type SparseTensorProto, type TensorProto } from './types';

export interface ReadModelOptions {
  /** Read external tensor data into rawData (default true). When false, tensors keep their references. */
  loadExternalData?: boolean;
  /** Folder external `location`s resolve against; defaults to the model file's folder. */
  baseDir?: string;
}

/**
 * Reads a model from a file path or from bytes. Inline tensor bytes are zero-copy views of the file
 * buffer. With loadExternalData (the default) external tensors become ordinary inline tensors.
 */
export function readModel(source: string | Uint8Array, opts: ReadModelOptions = {}): OnnxModel {
  const bytes = typeof source === 'string' ? readFileSync(source) : source;
  const model = decodeModel(bytes);
  const baseDir = opts.baseDir ?? (typeof source === 'string' ? dirname(resolve(source)) : undefined);
  if (baseDir !== undefined) model.baseDir = baseDir;
  if (opts.loadExternalData ?? true) loadExternalData(model);
  return model;
}

/** Every TensorProto of a model: initializers, sparse initializers, node attributes, subgraphs, functions. */
export function forEachTensor(model: OnnxModel, visit: (t: TensorProto) => void): void {
  const inAttribute = (a: AttributeProto): void => {
    if (a.t) visit(a.t);
    a.tensors.forEach(visit);
    for (const s of a.sparseTensor ? [a.sparseTensor, ...a.sparseTensors] : a.sparseTensors) {
      if (s.values) visit(s.values);
      if (s.indices) visit(s.indices);
    }
    if (a.g) inGraph(a.g);
    a.graphs.forEach(inGraph);
  };
  const inGraph = (g: GraphProto): void => {
    g.initializer.forEach(visit);
    for (const s of g.sparseInitializer) {
      if (s.values) visit(s.values);
      if (s.indices) visit(s.indices);
    }
    for (const n of g.node) n.attribute.forEach(inAttribute);
  };
  inGraph(model.graph);
  for (const f of model.functions) {
    for (const n of f.node) n.attribute.forEach(inAttribute);
    f.attributeProto.forEach(inAttribute);
  }
  for (const t of model.trainingInfo) {
    if (t.initialization) inGraph(t.initialization);
    if (t.algorithm) inGraph(t.algorithm);
  }
}

/** The absolute path of an external data file, refusing locations that leave baseDir. */
function externalPath(baseDir: string, location: string, tensor: string): string {
  const full = resolve(baseDir, location);
  const rel = relative(resolve(baseDir), full);
  if (isAbsolute(location) || rel.startsWith('..' + sep) || rel === '..' || isAbsolute(rel)) {
    throw new Error(`Tensor '${tensor}': external data location '${location}' is outside the model folder`);
  }
  return full;
}

/** Reads the bytes of one external tensor. */
function readExternal(t: TensorProto, baseDir: string | undefined, fds: Map<string, number>): Uint8Array {
  const name = t.name ?? '';
  if (baseDir === undefined) {
    throw new Error(`Tensor '${name}' has external data but the model was read from bytes: pass baseDir`);
  }
  const info = externalInfo(t);
  const path = externalPath(baseDir, info.location, name);
  let fd = fds.get(path);
  if (fd === undefined) {
    if (!existsSync(path)) throw new Error(`Tensor '${name}': external data file not found: ${path}`);
    fd = openSync(path, 'r');
    fds.set(path, fd);
  }
  const fileSize = fstatSync(fd).size;
  const length = info.length ?? fileSize - info.offset;
  if (info.offset < 0 || info.offset + length > fileSize) {
    throw new Error(`Tensor '${name}': external data [${info.offset}, +${length}) is beyond the end of ${path} (${fileSize} bytes)`);
  }
  const dtype = dtypeFromCode(t.dataType);
  const size = dtype ? dtypeSize(dtype) : undefined;
  if (size !== undefined && t.segment === undefined) {
    const want = Math.ceil(elementCount(t.dims) * size);
    if (want !== length) throw new Error(`Tensor '${name}': external data holds ${length} bytes, its dims need ${want}`);
  }
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, info.offset + done);
    if (n === 0) throw new Error(`Tensor '${name}': unexpected end of ${path}`);
    done += n;
  }
  return out;
}

function withFds<T>(fn: (fds: Map<string, number>) => T): T {
  const fds = new Map<string, number>();
  try {
    return fn(fds);
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}

/** The tensor with its external bytes moved inline (raw_data); others unchanged. */
function inlined(t: TensorProto, bytes: Uint8Array): TensorProto {
  const out: TensorProto = { ...t, rawData: bytes, externalData: [] };
  delete out.dataLocation;
  return out;
}

/** Loads every external tensor of the model into rawData, in place (resolving against model.baseDir). */
export function loadExternalData(model: OnnxModel, baseDir = model.baseDir): void {
  withFds((fds) =>
    forEachTensor(model, (t) => {
      if (!isExternal(t)) return;
      Object.assign(t, inlined(t, readExternal(t, baseDir, fds)));
      delete t.dataLocation;
    }),
  );
}

export interface WriteModelOptions {
  /**
   * Graph initializers of at least this many bytes go to the external data file `<model file>.data`
   * (ONNX's convention; 1024 is onnx's default). Undefined: everything inline, unless the weights
   * would exceed protobuf's 2 GiB limit, in which case 1024 is used.
   */
  externalDataThreshold?: number;
}

export interface WriteModelResult {
  modelBytes: number;
  /** Bytes written to the external data file (0: none written). */
  externalDataBytes: number;
  externalDataPath?: string;
  externalTensors: number;
}

const INLINE_LIMIT = 1.75 * 2 ** 30; // leave room for the graph itself under 2 GiB
const ALIGN_LARGE = 65536; // big tensors start on a 64 KiB boundary: mmap-able on every OS
const LARGE = 2 ** 20;

function tensorByteLength(t: TensorProto): number {
  if (isExternal(t)) return externalInfo(t).length ?? 0;
  if (t.rawData) return t.rawData.byteLength;
  const dtype = dtypeFromCode(t.dataType);
  const size = dtype ? dtypeSize(dtype) : undefined;
  return size === undefined ? 0 : Math.ceil(elementCount(t.dims) * size);
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let done = 0;
  while (done < chunk.byteLength) done += writeSync(fd, chunk, done, chunk.byteLength - done);
}

/**
 * Writes a model to `path` (atomically: a temporary file renamed into place). Tensors that were left
 * external when read are copied from their source files. The caller's model is not modified.
 */
export function writeModel(model: OnnxModel, path: string, opts: WriteModelOptions = {}): WriteModelResult {
  const target = resolve(path);
  const dir = dirname(target);
  const dataName = basename(target) + '.data';
  const dataPath = join(dir, dataName);
  const tmpModel = `${target}.tmp-${process.pid}`;
  const tmpData = `${dataPath}.tmp-${process.pid}`;

  let threshold = opts.externalDataThreshold;
  if (threshold === undefined) {
    let total = 0;
    forEachTensor(model, (t) => (total += tensorByteLength(t)));
    if (total > INLINE_LIMIT) threshold = 1024;
  }

  const result: WriteModelResult = { modelBytes: 0, externalDataBytes: 0, externalTensors: 0 };
  let dataFd: number | undefined;
  try {
    const out = withFds((fds) => {
      // Unloaded external tensors anywhere in the model are read back inline first.
      const copy = copyContainers(model, (t) => (isExternal(t) ? inlined(t, readExternal(t, model.baseDir, fds)) : t));
      if (threshold !== undefined) {
        const initializers: TensorProto[] = [];
        for (const t of copy.graph.initializer) {
          const bytes = t.stringData.length ? undefined : tensorBytes(t);
          if (!bytes || bytes.byteLength < threshold || bytes.byteLength === 0) {
            initializers.push(t);
            continue;
          }
          dataFd ??= openSync(tmpData, 'w');
          let offset = result.externalDataBytes;
          if (bytes.byteLength >= LARGE && offset % ALIGN_LARGE) {
            const pad = ALIGN_LARGE - (offset % ALIGN_LARGE);
            writeAll(dataFd, new Uint8Array(pad));
            offset += pad;
          }
          writeAll(dataFd, bytes);
          result.externalDataBytes = offset + bytes.byteLength;
          result.externalTensors++;
          const ext: TensorProto = {
            ...t,
            externalData: [
              { key: 'location', value: dataName },
              { key: 'offset', value: String(offset) },
              { key: 'length', value: String(bytes.byteLength) },
            ],
            dataLocation: DataLocation.EXTERNAL,
          };
          delete ext.rawData;
          delete ext.floatData;
          delete ext.int32Data;
          delete ext.int64Data;
          delete ext.doubleData;
          delete ext.uint64Data;
          initializers.push(ext);
        }
        copy.graph = { ...copy.graph, initializer: initializers };
      }
      return copy;
    });
    if (dataFd !== undefined) {
      closeSync(dataFd);
      dataFd = undefined;
    }
    const fd = openSync(tmpModel, 'w');
    try {
      for (const chunk of encodeModelChunks(out)) {
        writeAll(fd, chunk);
        result.modelBytes += chunk.byteLength;
      }
    } finally {
      closeSync(fd);
    }
    if (result.externalTensors) {
      renameSync(tmpData, dataPath);
      result.externalDataPath = dataPath;
    }
    renameSync(tmpModel, target);
    return result;
  } catch (e) {
    if (dataFd !== undefined) closeSync(dataFd);
    rmSync(tmpModel, { force: true });
    rmSync(tmpData, { force: true });
    throw e;
  }
}

/**
 * A copy of the model's containers (graphs, nodes, attributes, functions) with every tensor passed
 * through `mapTensor`; tensor bytes are shared, not copied.
 */
function copyContainers(model: OnnxModel, mapTensor: (t: TensorProto) => TensorProto): OnnxModel {
  const sparse = (s: SparseTensorProto): SparseTensorProto => ({
    ...s,
    ...(s.values ? { values: mapTensor(s.values) } : {}),
    ...(s.indices ? { indices: mapTensor(s.indices) } : {}),
  });
  const cleanAttr = (a: AttributeProto): AttributeProto => ({
    ...a,
    ...(a.t ? { t: mapTensor(a.t) } : {}),
    ...(a.g ? { g: graph(a.g) } : {}),
    ...(a.sparseTensor ? { sparseTensor: sparse(a.sparseTensor) } : {}),
    tensors: a.tensors.map(mapTensor),
    graphs: a.graphs.map(graph),
    sparseTensors: a.sparseTensors.map(sparse),
  });
  const graph = (g: GraphProto): GraphProto => ({
    ...g,
    initializer: g.initializer.map(mapTensor),
    sparseInitializer: g.sparseInitializer.map(sparse),
    node: g.node.map((n) => ({ ...n, attribute: n.attribute.map(cleanAttr) })),
  });
  return {
    ...model,
    graph: graph(model.graph),
    functions: model.functions.map((f) => ({
      ...f,
      node: f.node.map((n) => ({ ...n, attribute: n.attribute.map(cleanAttr) })),
      attributeProto: f.attributeProto.map(cleanAttr),
    })),
    trainingInfo: model.trainingInfo.map((t) => ({
      ...t,
      ...(t.initialization ? { initialization: graph(t.initialization) } : {}),
      ...(t.algorithm ? { algorithm: graph(t.algorithm) } : {}),
    })),
  };
}
