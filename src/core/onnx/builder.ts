// GraphBuilder: builds ONNX graphs op by op with dtype and shape inference, readable deterministic
// names (`<scope>/<Op>_<n>`), and opset-aware emission (axes as attribute or input, Gelu/LayerNorm
// fallbacks). GraphBuilder.fromModel loads an existing model so a backbone can be extended.
//
//   const g = new GraphBuilder({ opset: 17, name: 'head' });
//   const x = g.input('features', 'float32', ['batch', 768]);
//   const w = g.initializer('w', new Float32Array(768), [768, 1]);
//   g.output(g.scope('head', () => g.matmul(x, w)), 'reward');
//   const model = g.build();
import { attrTensor, toAttribute, type AttrInput } from './attributes';
import { canonicalDomain, opSchema, tensorValue, type InferContext, type Meta } from './ops';
import { fromTensorType, mergeShapes, ShapeError, tensorType, type Dim, type Shape } from './shape';
import { dtypeCode, dtypeFromCode, makeTensor, typedArrayFrom, type DType, type TensorArray } from './tensor';
import type { AttributeProto, GraphProto, NodeProto, OnnxModel, OperatorSetId, TensorProto, ValueInfoProto } from './types';

/** A value in the graph: its name and what is known of its element type and shape. */
export interface Value {
  readonly name: string;
  readonly dtype: DType | undefined;
  /** Dims are numbers (static), strings (symbolic) or null (unknown); undefined: rank unknown. */
  readonly shape: Shape;
}

/** A Value, or a number that becomes a scalar constant of the other operand's element type. */
export type Operand = Value | number;
/** A node input: a Value, a value name, or null/undefined for an omitted optional input. */
export type InputRef = Value | string | null | undefined;
export type Attrs = Readonly<Record<string, AttrInput | undefined>>;

export interface NodeOptions {
  /** Operator set domain ('' / 'ai.onnx' default; 'com.microsoft' is imported at version 1 on first use). */
  domain?: string;
  /** Node name (scoped). Default `<scope>/<Op>_<n>`. */
  name?: string;
  /** Output count (names derived from the node name) or explicit output names (used as given). */
  outputs?: number | readonly string[];
  /** Output types for ops the inference table does not know (custom or contrib ops). */
  outputTypes?: readonly { dtype?: DType; shape?: Shape }[];
}

export interface GraphBuilderOptions {
  /** ai.onnx opset version (default 17). */
  opset?: number;
  name?: string;
  /** Extra operator set imports, e.g. { 'com.microsoft': 1 }. */
  domains?: Readonly<Record<string, number>>;
  /** IR version; default: the one that goes with the opset. */
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
}

export interface BuildOptions {
  /** Write value_info for intermediate values this builder created (default false). */
  valueInfo?: boolean;
}

/** Why shape inference could not describe a node's outputs (GraphBuilder.fromModel). */
export interface InferenceIssue {
  node: string;
  opType: string;
  domain: string;
  reason: 'no-rule' | 'error';
  message?: string;
}

const IR_FOR_OPSET: readonly [number, number][] = [
  [23, 11],
  [21, 10],
  [19, 9],
  [15, 8],
  [12, 7],
  [11, 6],
  [10, 5],
  [9, 4],
  [1, 3],
];

/** The IR version released with an ai.onnx opset (ONNX's versioning table). */
export function irVersionForOpset(opset: number): number {
  for (const [o, ir] of IR_FOR_OPSET) if (opset >= o) return ir;
  return 3;
}

const SMALL_CONSTANT_BYTES = 256;

export class GraphBuilder {
  /** ai.onnx opset version. */
  readonly opset: number;
  name: string;
  /** Nodes whose outputs inference could not describe (fromModel; also custom ops added later). */
  readonly issues: InferenceIssue[] = [];

  private readonly opsets = new Map<string, number>();
  private readonly inputList: ValueInfoProto[] = [];
  private readonly inputNames = new Set<string>();
  private readonly inits = new Map<string, TensorProto>();
  private readonly nodeList: NodeProto[] = [];
  private readonly outputList: string[] = [];
  private readonly originalOutputs = new Map<string, ValueInfoProto>();
  private readonly metas = new Map<string, Meta>();
  private readonly producerOf = new Map<string, NodeProto>();
  private readonly consumerOf = new Map<string, NodeProto[]>();
  private readonly taken = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly scopeStack: string[] = [];
  private readonly constCache = new Map<string, Value>();
  private readonly originalValueInfo: ValueInfoProto[] = [];
  private readonly createdHere = new Set<string>();
  private base: OnnxModel | undefined;
  private readonly options: GraphBuilderOptions;

  constructor(opts: GraphBuilderOptions = {}) {
    this.options = opts;
    this.opset = opts.opset ?? 17;
    this.name = opts.name ?? 'graph';
    this.opsets.set('', this.opset);
    for (const [d, v] of Object.entries(opts.domains ?? {})) this.opsets.set(canonicalDomain(d), v);
  }

  // -------------------------------------------------------------------------------------------------
  // loading

  /**
   * A builder holding an existing model: its inputs, initializers, nodes (kept as they are) and
   * outputs, with shapes inferred over the nodes (ops outside the table keep their declared
   * value_info, else stay unknown; see `issues`). build() gives the model back plus what was added.
   */
  static fromModel(model: OnnxModel): GraphBuilder {
    const defaultDomain = model.opsetImport.find((o) => canonicalDomain(o.domain) === '');
    const g = new GraphBuilder({ opset: defaultDomain?.version ?? 1, name: model.graph.name ?? '' });
    g.base = model;
    g.opsets.clear();
    for (const o of model.opsetImport) g.opsets.set(canonicalDomain(o.domain), o.version);
    const graph = model.graph;
    const declared = new Map<string, Meta>();
    for (const vi of [...graph.valueInfo, ...graph.output]) declared.set(vi.name, fromTensorType(vi.type));
    g.originalValueInfo.push(...graph.valueInfo);

    for (const t of graph.initializer) {
      const name = t.name ?? '';
      g.inits.set(name, t);
      g.taken.add(name);
      g.metas.set(name, tensorMeta(t));
    }
    for (const vi of graph.input) {
      g.inputList.push(vi);
      g.inputNames.add(vi.name);
      g.taken.add(vi.name);
      const m = fromTensorType(vi.type);
      const init = g.metas.get(vi.name);
      // An initializer that is also an input is only a default: its value can be overridden.
      g.metas.set(vi.name, init ? { dtype: init.dtype ?? m.dtype, shape: mergeShapes(m.shape, init.shape) } : m);
    }
    // Exporters (and ORT's optimizer) do not always save nodes in topological order: infer in
    // dependency order, keep the file's order in the graph.
    for (const node of topologicalOrder(graph.node)) {
      if (node.name) g.taken.add(node.name);
      const domain = canonicalDomain(node.domain);
      const schema = opSchema(node.opType, domain);
      let inferred: Meta[] = [];
      if (schema) {
        try {
          inferred = schema.infer(g.context(node, false));
        } catch (e) {
          g.issues.push({ node: node.name ?? node.output[0] ?? '', opType: node.opType, domain, reason: 'error', message: (e as Error).message });
        }
      } else {
        g.issues.push({ node: node.name ?? node.output[0] ?? '', opType: node.opType, domain, reason: 'no-rule' });
      }
      node.output.forEach((out, i) => {
        if (out === '') return;
        g.taken.add(out);
        g.producerOf.set(out, node);
        const inf = inferred[i];
        const dec = declared.get(out);
        g.metas.set(out, {
          dtype: inf?.dtype ?? dec?.dtype,
          shape: mergeShapes(inf?.shape, dec?.shape),
          ...(inf?.value !== undefined ? { value: inf.value } : {}),
        });
      });
    }
    for (const node of graph.node) g.addNode(node);
    // Names inside subgraphs (If/Loop/Scan bodies) must not be reused in the outer graph either.
    forEachSubgraph(graph, (sub) => {
      for (const n of sub.node) for (const o of [...n.output, n.name ?? '']) if (o) g.taken.add(o);
      for (const v of [...sub.input, ...sub.initializer]) if (v.name) g.taken.add(v.name);
    });
    for (const vi of graph.output) {
      g.outputList.push(vi.name);
      g.originalOutputs.set(vi.name, vi);
      if (!g.metas.has(vi.name)) g.metas.set(vi.name, fromTensorType(vi.type));
    }
    return g;
  }

  // -------------------------------------------------------------------------------------------------
  // values

  /** The Value of a name known to the builder (throws for unknown names). */
  value(name: string): Value {
    const m = this.metas.get(name);
    if (!m) throw new Error(`No value named '${name}' in graph '${this.name}'`);
    return { name, dtype: m.dtype, shape: m.shape };
  }

  has(name: string): boolean {
    return this.metas.has(name);
  }

  /** The (possibly symbolic) content of a small integer value, when inference tracked it. */
  knownValue(v: Value | string): readonly Dim[] | undefined {
    return this.metas.get(typeof v === 'string' ? v : v.name)?.value;
  }

  /** A graph input. Its name is used as given (not scoped). */
  input(name: string, dtype: DType, shape: Shape): Value {
    this.claim(name);
    this.inputList.push({ name, type: tensorType(dtype, shape), metadataProps: [] });
    this.inputNames.add(name);
    this.metas.set(name, { dtype, shape: shape && [...shape] });
    return this.value(name);
  }

  /**
   * An initializer (a weight). The name is prefixed with the current scope. `data` is copied into
   * the model; pass dtype 'float16' with a Uint16Array of half bits.
   */
  initializer(name: string, data: TensorArray | TensorProto, dims?: readonly number[], opts: { dtype?: DType } = {}): Value {
    const full = this.scoped(name);
    this.claim(full);
    let t: TensorProto;
    if (isTensorProto(data)) t = { ...data, name: full };
    else {
      if (!dims) throw new Error(`initializer '${full}': dims are required`);
      t = makeTensor(full, data, dims, opts);
    }
    this.inits.set(full, t);
    this.metas.set(full, tensorMeta(t));
    return this.value(full);
  }

  /** The TensorProto of an initializer. */
  getInitializer(name: string): TensorProto | undefined {
    return this.inits.get(name);
  }

  get initializerNames(): string[] {
    return [...this.inits.keys()];
  }

  /**
   * A Constant node. Scalars have dims [], arrays [length]; small identical constants are shared.
   * dtype is required for plain numbers (there is no implicit float/int choice).
   */
  constant(value: number | bigint | boolean | readonly (number | bigint)[] | TensorArray | TensorProto, dtype?: DType, dims?: readonly number[]): Value {
    let t: TensorProto;
    if (isTensorProto(value)) t = { ...value };
    else if (ArrayBuffer.isView(value)) {
      t = makeTensor('', value as TensorArray, dims ?? [(value as TensorArray).length], dtype ? { dtype } : {});
    } else {
      if (!dtype) throw new Error('constant(): give the dtype of a number or number[]');
      const values = Array.isArray(value) ? (value as (number | bigint)[]) : [value as number | bigint | boolean];
      const shape = dims ?? (Array.isArray(value) ? [values.length] : []);
      t = makeTensor('', typedArrayFrom(values.map((v) => (typeof v === 'boolean' ? Number(v) : v)), dtype), shape, { dtype });
    }
    delete t.name;
    const bytes = t.rawData;
    let key: string | undefined;
    if (bytes && bytes.byteLength <= SMALL_CONSTANT_BYTES && !t.docString) {
      key = `${t.dataType}|${t.dims.join(',')}|${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
      const hit = this.constCache.get(key);
      if (hit) return hit;
    }
    const v = this.op('Constant', [], { value: attrTensor('value', t) });
    if (key) this.constCache.set(key, v);
    return v;
  }

  /** A scalar constant. */
  scalar(value: number | bigint | boolean, dtype: DType): Value {
    return this.constant(value, dtype, []);
  }

  /** A 1-D int64 constant (shapes, axes, pads, ...). */
  int64s(values: readonly (number | bigint)[]): Value {
    return this.constant(values, 'int64', [values.length]);
  }

  /**
   * Marks a value as a graph output. With a different name, an Identity gives it that name (the
   * graph output then is a new value).
   */
  output(v: Value | string, name?: string): Value {
    let value = typeof v === 'string' ? this.value(v) : v;
    if (name !== undefined && name !== value.name) value = this.op('Identity', [value], {}, { outputs: [name] });
    if (this.outputList.includes(value.name)) throw new Error(`'${value.name}' is already a graph output`);
    this.outputList.push(value.name);
    return this.value(value.name);
  }

  /** Graph outputs, in order. */
  get outputs(): Value[] {
    return this.outputList.map((n) => this.value(n));
  }

  /** Graph inputs, in order. */
  get inputs(): Value[] {
    return this.inputList.map((vi) => this.value(vi.name));
  }

  /** Removes a graph output (the value and its producer stay). */
  removeOutput(name: string): void {
    const i = this.outputList.indexOf(name);
    if (i < 0) throw new Error(`'${name}' is not a graph output`);
    this.outputList.splice(i, 1);
    this.originalOutputs.delete(name);
  }

  /**
   * Turns an initializer into a graph input of the same name, dtype and shape (training feeds weights
   * in and gets them back each step). Returns the initializer, i.e. the initial value.
   */
  initializerToInput(name: string): TensorProto {
    const t = this.inits.get(name);
    if (!t) throw new Error(`No initializer named '${name}'`);
    this.inits.delete(name);
    const m = tensorMeta(t);
    this.metas.set(name, { dtype: m.dtype, shape: m.shape });
    if (!this.inputNames.has(name)) {
      this.inputList.push({ name, type: tensorType(m.dtype, m.shape), metadataProps: [] });
      this.inputNames.add(name);
    }
    return t;
  }

  // -------------------------------------------------------------------------------------------------
  // nodes

  /** All nodes, in order. */
  get nodes(): readonly NodeProto[] {
    return this.nodeList;
  }

  /** The node producing a value (undefined for inputs, initializers, unknown names). */
  producer(name: string): NodeProto | undefined {
    return this.producerOf.get(name);
  }

  /** Nodes that read a value, in graph order (a node reading it twice is listed once). */
  consumers(name: string): NodeProto[] {
    return [...(this.consumerOf.get(name) ?? [])];
  }

  /** Version of an imported operator set domain. */
  opsetFor(domain: string): number | undefined {
    return this.opsets.get(canonicalDomain(domain));
  }

  /** Imports an operator set domain (raising an existing import only upward). */
  useDomain(domain: string, version: number): void {
    const d = canonicalDomain(domain);
    if (d === '' && version !== this.opset) throw new Error('The ai.onnx opset is fixed when the builder is created');
    this.opsets.set(d, Math.max(version, this.opsets.get(d) ?? 0));
  }

  /** Runs `fn` with `name` appended to the scope of generated node, value and initializer names. */
  scope<T>(name: string, fn: () => T): T {
    if (!name || name.includes('/')) throw new Error(`Invalid scope name '${name}'`);
    this.scopeStack.push(name);
    try {
      return fn();
    } finally {
      this.scopeStack.pop();
    }
  }

  /** One node with a single output; see node(). */
  op(opType: string, inputs: readonly InputRef[], attrs: Attrs = {}, opts: NodeOptions = {}): Value {
    const outs = this.node(opType, inputs, attrs, opts);
    if (outs.length !== 1) throw new Error(`${opType} has ${outs.length} outputs: use node()`);
    return outs[0];
  }

  /**
   * Appends a node. Attribute values are typed by the op table (epsilon: 1e-5 is FLOAT, axis: 1 INT);
   * for attributes it does not know, pass attr.int(...)/attr.float(...). Output dtypes and shapes are
   * inferred; an inconsistency (bad broadcast, mixed dtypes, ...) throws naming the node.
   */
  node(opType: string, inputs: readonly InputRef[], attrs: Attrs = {}, opts: NodeOptions = {}): Value[] {
    const domain = canonicalDomain(opts.domain);
    if (!this.opsets.has(domain)) {
      if (domain === 'com.microsoft') this.opsets.set(domain, 1);
      else throw new Error(`${opType}: operator set domain '${domain}' is not imported; call useDomain()`);
    }
    const schema = opSchema(opType, domain);
    const nodeName = opts.name !== undefined ? this.scoped(opts.name) : this.fresh(opType, typeof opts.outputs === 'number' ? opts.outputs : 1);
    if (opts.name !== undefined && this.taken.has(nodeName)) throw new Error(`Name '${nodeName}' is already used`);
    const outputs =
      typeof opts.outputs === 'object'
        ? [...opts.outputs]
        : (opts.outputs ?? 1) === 1
          ? [nodeName]
          : Array.from({ length: opts.outputs as number }, (_, i) => `${nodeName}:${i}`);
    for (const o of outputs) if (o !== '' && this.taken.has(o) && o !== nodeName) throw new Error(`Name '${o}' is already used`);

    const inputNames = inputs.map((x) => (x === null || x === undefined ? '' : typeof x === 'string' ? x : x.name));
    while (inputNames.length && inputNames[inputNames.length - 1] === '') inputNames.pop();
    for (const n of inputNames) if (n !== '' && !this.metas.has(n)) throw new Error(`${opType} '${nodeName}': unknown input '${n}'`);

    const where = `${opType} '${nodeName}'`;
    const attribute: AttributeProto[] = [];
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined) continue;
      attribute.push(toAttribute(k, v, schema?.attrs?.[k], where));
    }
    const node: NodeProto = { input: inputNames, output: outputs, name: nodeName, opType, attribute, metadataProps: [] };
    if (domain !== '') node.domain = domain;

    let inferred: Meta[] = [];
    if (opts.outputTypes) {
      inferred = opts.outputTypes.map((t) => ({ dtype: t.dtype, shape: t.shape }));
    } else if (schema) {
      try {
        inferred = schema.infer(this.context(node, true));
      } catch (e) {
        if (e instanceof ShapeError) throw new ShapeError(`${where}: ${e.message}`);
        throw e;
      }
    } else {
      this.issues.push({ node: nodeName, opType, domain, reason: 'no-rule' });
    }
    this.taken.add(nodeName);
    outputs.forEach((o, i) => {
      if (o === '') return;
      this.taken.add(o);
      this.createdHere.add(o);
      this.producerOf.set(o, node);
      this.metas.set(o, inferred[i] ?? { dtype: undefined, shape: undefined });
    });
    this.addNode(node);
    return outputs.map((o) => (o === '' ? { name: '', dtype: undefined, shape: undefined } : this.value(o)));
  }

  // -------------------------------------------------------------------------------------------------
  // build

  /**
   * The model. Tensors and nodes are shared with the builder (not copied); building twice gives
   * byte-identical encodings.
   */
  build(opts: BuildOptions = {}): OnnxModel {
    const base = this.base;
    const outputs = this.outputList.map((n) => {
      const original = this.originalOutputs.get(n);
      if (original) return original;
      const m = this.metas.get(n)!;
      return { name: n, type: tensorType(m.dtype, m.shape), metadataProps: [] };
    });
    const valueInfo = [...this.originalValueInfo];
    if (opts.valueInfo) {
      const skip = new Set([...this.outputList, ...this.inputNames, ...this.inits.keys()]);
      for (const n of this.createdHere) {
        const m = this.metas.get(n)!;
        if (skip.has(n) || m.dtype === undefined) continue;
        valueInfo.push({ name: n, type: tensorType(m.dtype, m.shape), metadataProps: [] });
      }
    }
    const opsetImport: OperatorSetId[] = [];
    const seen = new Set<string>();
    for (const o of base?.opsetImport ?? []) {
      const d = canonicalDomain(o.domain);
      seen.add(d);
      opsetImport.push({ ...o, version: this.opsets.get(d) ?? o.version });
    }
    for (const [d, version] of this.opsets) {
      if (seen.has(d)) continue;
      opsetImport.push(d === '' ? { domain: '', version } : { domain: d, version });
    }
    const g = base?.graph;
    const model: OnnxModel = {
      irVersion: base?.irVersion ?? this.options.irVersion ?? irVersionForOpset(this.opset),
      opsetImport,
      graph: {
        node: [...this.nodeList],
        ...(this.name !== '' || g?.name !== undefined ? { name: this.name } : {}),
        initializer: [...this.inits.values()],
        sparseInitializer: g ? [...g.sparseInitializer] : [],
        input: [...this.inputList],
        output: outputs,
        valueInfo,
        quantizationAnnotation: g ? [...g.quantizationAnnotation] : [],
        metadataProps: g ? [...g.metadataProps] : [],
        ...(g?.docString !== undefined ? { docString: g.docString } : {}),
      },
      metadataProps: base ? [...base.metadataProps] : [],
      trainingInfo: base ? [...base.trainingInfo] : [],
      functions: base ? [...base.functions] : [],
    };
    if (base) {
      for (const k of ['producerName', 'producerVersion', 'domain', 'modelVersion', 'docString', 'baseDir'] as const) {
        if (base[k] !== undefined) (model as unknown as Record<string, unknown>)[k] = base[k];
      }
    } else {
      model.producerName = this.options.producerName ?? 'reward-studio';
      if (this.options.producerVersion !== undefined) model.producerVersion = this.options.producerVersion;
      if (this.options.docString !== undefined) model.docString = this.options.docString;
    }
    return model;
  }

  // -------------------------------------------------------------------------------------------------
  // typed helpers: elementwise

  add(a: Operand, b: Operand): Value {
    return this.binary('Add', a, b);
  }
  sub(a: Operand, b: Operand): Value {
    return this.binary('Sub', a, b);
  }
  mul(a: Operand, b: Operand): Value {
    return this.binary('Mul', a, b);
  }
  div(a: Operand, b: Operand): Value {
    return this.binary('Div', a, b);
  }
  pow(a: Operand, b: Operand): Value {
    return this.binary('Pow', a, b);
  }
  equal(a: Operand, b: Operand): Value {
    return this.binary('Equal', a, b);
  }
  less(a: Operand, b: Operand): Value {
    return this.binary('Less', a, b);
  }
  greater(a: Operand, b: Operand): Value {
    return this.binary('Greater', a, b);
  }
  and(a: Value, b: Value): Value {
    return this.op('And', [a, b]);
  }
  not(x: Value): Value {
    return this.op('Not', [x]);
  }
  sqrt(x: Value): Value {
    return this.op('Sqrt', [x]);
  }
  neg(x: Value): Value {
    return this.op('Neg', [x]);
  }
  exp(x: Value): Value {
    return this.op('Exp', [x]);
  }
  log(x: Value): Value {
    return this.op('Log', [x]);
  }
  tanh(x: Value): Value {
    return this.op('Tanh', [x]);
  }
  sigmoid(x: Value): Value {
    return this.op('Sigmoid', [x]);
  }
  softplus(x: Value): Value {
    return this.op('Softplus', [x]);
  }
  erf(x: Value): Value {
    return this.op('Erf', [x]);
  }
  relu(x: Value): Value {
    return this.op('Relu', [x]);
  }
  abs(x: Value): Value {
    return this.op('Abs', [x]);
  }
  identity(x: Value): Value {
    return this.op('Identity', [x]);
  }
  max(...xs: Operand[]): Value {
    return this.op('Max', this.operands(xs));
  }
  min(...xs: Operand[]): Value {
    return this.op('Min', this.operands(xs));
  }
  sum(...xs: Value[]): Value {
    return this.op('Sum', xs);
  }
  where(cond: Value, x: Operand, y: Operand): Value {
    const [a, b] = this.operands([x, y]);
    return this.op('Where', [cond, a, b]);
  }
  cast(x: Value, to: DType): Value {
    return this.op('Cast', [x], { to: dtypeCode(to) });
  }

  /** Clip to [min, max] (inputs from opset 11, attributes before). */
  clip(x: Value, min?: Operand, max?: Operand): Value {
    if (this.opset >= 11) {
      const lo = min === undefined ? null : this.operand(min, x);
      const hi = max === undefined ? null : this.operand(max, x);
      return this.op('Clip', [x, lo, hi]);
    }
    if ((min !== undefined && typeof min !== 'number') || (max !== undefined && typeof max !== 'number')) {
      throw new Error(`Clip bounds must be numbers at opset ${this.opset}`);
    }
    return this.op('Clip', [x], { min: min as number | undefined, max: max as number | undefined });
  }

  /**
   * GELU. impl 'auto': ai.onnx Gelu at opset >= 20, else com.microsoft Gelu / FastGelu (tanh).
   * 'decomposed' builds it from Erf or Tanh (ORT CPU has no float64 Gelu/Erf kernels: use the tanh
   * form for float64).
   */
  gelu(x: Value, opts: { approximate?: 'none' | 'tanh'; impl?: 'auto' | 'onnx' | 'com.microsoft' | 'decomposed' } = {}): Value {
    const approximate = opts.approximate ?? 'none';
    const impl = opts.impl === undefined || opts.impl === 'auto' ? (this.opset >= 20 ? 'onnx' : 'com.microsoft') : opts.impl;
    if (impl === 'onnx') {
      if (this.opset < 20) throw new Error(`ai.onnx Gelu needs opset 20 (builder opset ${this.opset})`);
      return this.op('Gelu', [x], approximate === 'tanh' ? { approximate: 'tanh' } : {});
    }
    if (impl === 'com.microsoft') return this.op(approximate === 'tanh' ? 'FastGelu' : 'Gelu', [x], {}, { domain: 'com.microsoft' });
    const half = this.mul(x, 0.5);
    if (approximate === 'none') return this.mul(half, this.add(this.erf(this.mul(x, Math.SQRT1_2)), 1));
    const inner = this.mul(this.add(x, this.mul(this.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
    return this.mul(half, this.add(this.tanh(inner), 1));
  }

  // -------------------------------------------------------------------------------------------------
  // typed helpers: linear algebra, reductions, normalization

  matmul(a: Value, b: Value): Value {
    return this.op('MatMul', [a, b]);
  }

  gemm(a: Value, b: Value, c?: Value, opts: { alpha?: number; beta?: number; transA?: boolean; transB?: boolean } = {}): Value {
    return this.op('Gemm', [a, b, c], {
      alpha: opts.alpha,
      beta: opts.beta,
      transA: opts.transA ? 1 : undefined,
      transB: opts.transB ? 1 : undefined,
    });
  }

  reduceSum(x: Value, axes?: readonly number[] | Value, opts: ReduceOptions = {}): Value {
    return this.reduce('ReduceSum', 13, x, axes, opts);
  }
  reduceMean(x: Value, axes?: readonly number[] | Value, opts: ReduceOptions = {}): Value {
    return this.reduce('ReduceMean', 18, x, axes, opts);
  }
  reduceMax(x: Value, axes?: readonly number[] | Value, opts: ReduceOptions = {}): Value {
    return this.reduce('ReduceMax', 18, x, axes, opts);
  }

  argMax(x: Value, opts: { axis?: number; keepdims?: boolean; selectLastIndex?: boolean } = {}): Value {
    return this.op('ArgMax', [x], {
      axis: opts.axis ?? 0,
      keepdims: opts.keepdims === false ? 0 : undefined,
      select_last_index: opts.selectLastIndex ? 1 : undefined,
    });
  }

  softmax(x: Value, axis = -1): Value {
    return this.softmaxLike('Softmax', x, axis);
  }
  logSoftmax(x: Value, axis = -1): Value {
    return this.softmaxLike('LogSoftmax', x, axis);
  }

  cumSum(x: Value, axis: number | Value, opts: { exclusive?: boolean; reverse?: boolean } = {}): Value {
    const a = typeof axis === 'number' ? this.scalar(axis, 'int64') : axis;
    return this.op('CumSum', [x, a], { exclusive: opts.exclusive ? 1 : undefined, reverse: opts.reverse ? 1 : undefined });
  }

  /**
   * LayerNormalization over axes [axis, rank). impl 'auto': the op at opset >= 17, else the
   * decomposed ReduceMean/Sub/Mul/Sqrt/Div form (which also gives float64 graphs exact semantics).
   * `stats` (the op only): the node also outputs Mean and InvStdDev, which its gradient then reads
   * instead of recomputing them (a training graph's forward keeps them for the backward).
   */
  layerNorm(x: Value, scale: Value, bias?: Value, opts: { axis?: number; epsilon?: number; impl?: 'auto' | 'op' | 'decomposed'; stats?: boolean } = {}): Value {
    const axis = opts.axis ?? -1;
    const epsilon = opts.epsilon ?? 1e-5;
    const impl = opts.impl === undefined || opts.impl === 'auto' ? (this.opset >= 17 ? 'op' : 'decomposed') : opts.impl;
    if (impl === 'op') {
      if (this.opset < 17) throw new Error(`LayerNormalization needs opset 17 (builder opset ${this.opset})`);
      if (opts.stats) return this.node('LayerNormalization', [x, scale, bias], { axis: opts.axis, epsilon }, { outputs: 3 })[0];
      return this.op('LayerNormalization', [x, scale, bias], { axis: opts.axis, epsilon });
    }
    const axes = this.normAxes(x, axis);
    const mean = this.reduceMean(x, axes);
    const d = this.sub(x, mean);
    const variance = this.reduceMean(this.mul(d, d), axes);
    const y = this.mul(this.div(d, this.sqrt(this.add(variance, epsilon))), scale);
    return bias ? this.add(y, bias) : y;
  }

  /** RMS norm (LLaMA's, ORT's SimplifiedLayerNormalization) in standard ops: x / sqrt(mean(x²) + eps) * scale. */
  rmsNorm(x: Value, scale: Value, opts: { axis?: number; epsilon?: number } = {}): Value {
    const axes = this.normAxes(x, opts.axis ?? -1);
    const ms = this.reduceMean(this.mul(x, x), axes);
    return this.mul(this.div(x, this.sqrt(this.add(ms, opts.epsilon ?? 1e-6))), scale);
  }

  // -------------------------------------------------------------------------------------------------
  // typed helpers: indexing and shapes

  gather(data: Value, indices: Value, axis = 0): Value {
    return this.op('Gather', [data, indices], { axis: axis || undefined });
  }
  gatherElements(data: Value, indices: Value, axis = 0): Value {
    return this.op('GatherElements', [data, indices], { axis: axis || undefined });
  }
  /** ScatterElements; reduction needs opset 16 ('add', 'mul') or 18 ('max', 'min'). */
  scatterElements(data: Value, indices: Value, updates: Value, opts: { axis?: number; reduction?: 'none' | 'add' | 'mul' | 'max' | 'min' } = {}): Value {
    const reduction = opts.reduction ?? 'none';
    const since = reduction === 'max' || reduction === 'min' ? 18 : 16;
    if (reduction !== 'none' && this.opset < since) throw new Error(`ScatterElements reduction '${reduction}' needs opset ${since}`);
    return this.op('ScatterElements', [data, indices, updates], {
      axis: opts.axis || undefined,
      reduction: reduction === 'none' ? undefined : reduction,
    });
  }

  reshape(x: Value, shape: readonly number[] | Value, opts: { allowzero?: boolean } = {}): Value {
    return this.op('Reshape', [x, this.ints(shape)], { allowzero: opts.allowzero ? 1 : undefined });
  }
  transpose(x: Value, perm?: readonly number[]): Value {
    return this.op('Transpose', [x], { perm });
  }
  /** Unsqueeze (axes input from opset 13, attribute before). */
  unsqueeze(x: Value, axes: readonly number[] | Value): Value {
    if (this.opset >= 13) return this.op('Unsqueeze', [x, this.ints(axes)]);
    return this.op('Unsqueeze', [x], { axes: this.staticInts(axes, 'Unsqueeze axes') });
  }
  /** Squeeze (axes input from opset 13, attribute before); no axes: every size-1 dim. */
  squeeze(x: Value, axes?: readonly number[] | Value): Value {
    if (axes === undefined) return this.op('Squeeze', [x]);
    if (this.opset >= 13) return this.op('Squeeze', [x, this.ints(axes)]);
    return this.op('Squeeze', [x], { axes: this.staticInts(axes, 'Squeeze axes') });
  }
  concat(xs: readonly Value[], axis: number): Value {
    return this.op('Concat', xs, { axis });
  }
  /** Slice (starts/ends/axes/steps inputs from opset 10, attributes before). */
  slice(x: Value, starts: readonly number[] | Value, ends: readonly number[] | Value, axes?: readonly number[] | Value, steps?: readonly number[] | Value): Value {
    if (this.opset >= 10) {
      return this.op('Slice', [x, this.ints(starts), this.ints(ends), axes === undefined ? null : this.ints(axes), steps === undefined ? null : this.ints(steps)]);
    }
    if (steps !== undefined && this.staticInts(steps, 'Slice steps').some((s) => s !== 1)) throw new Error(`Slice steps need opset 10`);
    return this.op('Slice', [x], {
      starts: this.staticInts(starts, 'Slice starts'),
      ends: this.staticInts(ends, 'Slice ends'),
      axes: axes === undefined ? undefined : this.staticInts(axes, 'Slice axes'),
    });
  }
  /** Split into `sizes` along axis, or into numOutputs equal parts. */
  split(x: Value, opts: { axis?: number; sizes?: readonly number[]; numOutputs?: number }): Value[] {
    const n = opts.sizes?.length ?? opts.numOutputs;
    if (!n) throw new Error('split(): give sizes or numOutputs');
    const axis = opts.axis || undefined;
    if (opts.sizes === undefined) {
      return this.node('Split', [x], { axis, num_outputs: this.opset >= 18 ? n : undefined }, { outputs: n });
    }
    if (this.opset >= 13) return this.node('Split', [x, this.int64s(opts.sizes)], { axis }, { outputs: n });
    return this.node('Split', [x], { axis, split: opts.sizes }, { outputs: n });
  }
  expand(x: Value, shape: readonly number[] | Value): Value {
    return this.op('Expand', [x, this.ints(shape)]);
  }
  /** Shape (start/end attributes need opset 15). */
  shape(x: Value, opts: { start?: number; end?: number } = {}): Value {
    if ((opts.start !== undefined || opts.end !== undefined) && this.opset < 15) {
      if (this.opset < 10) throw new Error('Shape start/end need opset 15');
      const s = this.op('Shape', [x]);
      return this.slice(s, [opts.start ?? 0], [opts.end ?? 2 ** 62]);
    }
    return this.op('Shape', [x], { start: opts.start, end: opts.end });
  }
  constantOfShape(shape: readonly number[] | Value, value = 0, dtype: DType = 'float32'): Value {
    return this.op('ConstantOfShape', [this.ints(shape)], { value: attrTensor('value', makeTensor('', typedArrayFrom([value], dtype), [1], { dtype })) });
  }
  /** Range(start, limit, delta); numbers become scalars of `dtype`. */
  range(start: Operand, limit: Operand, delta: Operand = 1, dtype: DType = 'int64'): Value {
    const s = (v: Operand): Value => (typeof v === 'number' ? this.scalar(v, dtype) : v);
    return this.op('Range', [s(start), s(limit), s(delta)]);
  }
  /** Trilu (opset 14): upper (default) or lower triangle, diagonal offset k. */
  trilu(x: Value, opts: { upper?: boolean; k?: number | Value } = {}): Value {
    if (this.opset < 14) throw new Error('Trilu needs opset 14');
    const k = opts.k === undefined ? null : typeof opts.k === 'number' ? this.scalar(opts.k, 'int64') : opts.k;
    return this.op('Trilu', [x, k], { upper: opts.upper === false ? 0 : undefined });
  }
  /** Pad (pads/value inputs from opset 11, attributes before). pads: [begin..., end...]. */
  pad(x: Value, pads: readonly number[] | Value, opts: { mode?: 'constant' | 'reflect' | 'edge'; value?: number } = {}): Value {
    const mode = opts.mode && opts.mode !== 'constant' ? opts.mode : undefined;
    if (this.opset >= 11) {
      const value = opts.value === undefined ? null : this.operand(opts.value, x);
      return this.op('Pad', [x, this.ints(pads), value], { mode });
    }
    return this.op('Pad', [x], { mode, pads: this.staticInts(pads, 'Pad pads'), value: opts.value });
  }
  flatten(x: Value, axis = 1): Value {
    return this.op('Flatten', [x], { axis: axis === 1 ? undefined : axis });
  }
  tile(x: Value, repeats: readonly number[] | Value): Value {
    return this.op('Tile', [x, this.ints(repeats)]);
  }

  // -------------------------------------------------------------------------------------------------
  // internals

  private addNode(node: NodeProto): void {
    this.nodeList.push(node);
    for (const i of new Set(node.input)) {
      if (!i) continue;
      const list = this.consumerOf.get(i);
      if (list) list.push(node);
      else this.consumerOf.set(i, [node]);
    }
  }

  private context(node: NodeProto, strict: boolean): InferContext {
    return {
      node,
      opset: this.opsets.get(canonicalDomain(node.domain)) ?? 1,
      inputs: node.input.map((n) => (n === '' ? undefined : this.metas.get(n))),
      strict,
    };
  }

  private scoped(name: string): string {
    return this.scopeStack.length ? `${this.scopeStack.join('/')}/${name}` : name;
  }

  private claim(name: string): void {
    if (!name) throw new Error('Empty value name');
    if (this.taken.has(name)) throw new Error(`Name '${name}' is already used`);
    this.taken.add(name);
  }

  /** The next free `<scope>/<op>_<n>` (also free as `<name>:<i>` for multi-output nodes). */
  private fresh(opType: string, outputs: number): string {
    const key = this.scoped(opType);
    let n = this.counters.get(key) ?? 0;
    const free = (c: string): boolean =>
      !this.taken.has(c) && (outputs === 1 || Array.from({ length: outputs }, (_, i) => `${c}:${i}`).every((o) => !this.taken.has(o)));
    while (!free(`${key}_${n}`)) n++;
    this.counters.set(key, n + 1);
    return `${key}_${n}`;
  }

  private operand(x: Operand, like: Value): Value {
    if (typeof x !== 'number') return x;
    if (!like.dtype) throw new Error(`Cannot make a constant like '${like.name}': its element type is unknown`);
    return this.scalar(x, like.dtype);
  }

  private operands(xs: readonly Operand[]): Value[] {
    const like = xs.find((x): x is Value => typeof x !== 'number');
    if (!like) throw new Error('At least one operand must be a Value');
    return xs.map((x) => this.operand(x, like));
  }

  private binary(op: string, a: Operand, b: Operand): Value {
    return this.op(op, this.operands([a, b]));
  }

  private ints(v: readonly number[] | Value): Value {
    return isValue(v) ? v : this.int64s(v);
  }

  private staticInts(v: readonly number[] | Value, what: string): number[] {
    if (!isValue(v)) return [...v];
    const known = this.knownValue(v);
    if (known && known.every((d) => typeof d === 'number')) return known as number[];
    throw new Error(`${what} must be constant at opset ${this.opset}`);
  }

  private reduce(op: string, axesInputSince: number, x: Value, axes: readonly number[] | Value | undefined, opts: ReduceOptions): Value {
    const keepdims = opts.keepdims === false ? 0 : undefined;
    const noop = opts.noopWithEmptyAxes ? 1 : undefined;
    if (this.opset >= axesInputSince) {
      return this.op(op, [x, axes === undefined ? null : this.ints(axes)], { keepdims, noop_with_empty_axes: noop });
    }
    if (noop) throw new Error(`${op} noop_with_empty_axes needs opset ${axesInputSince}`);
    return this.op(op, [x], { axes: axes === undefined ? undefined : this.staticInts(axes, `${op} axes`), keepdims });
  }

  private softmaxLike(op: 'Softmax' | 'LogSoftmax', x: Value, axis: number): Value {
    if (this.opset < 13) {
      // Before opset 13 Softmax flattens to 2-D at `axis`: the same as opset 13 only for the last axis.
      const rank = x.shape?.length;
      const last = axis === -1 || (rank !== undefined && axis === rank - 1);
      if (!last) throw new Error(`${op} over a non-last axis needs opset 13 (builder opset ${this.opset})`);
      if (rank === undefined) throw new Error(`${op} at opset ${this.opset} needs a known rank`);
      return this.op(op, [x], { axis: rank - 1 });
    }
    return this.op(op, [x], { axis: axis === -1 ? undefined : axis });
  }

  private normAxes(x: Value, axis: number): number[] {
    if (axis === -1) return [-1];
    const rank = x.shape?.length;
    if (rank === undefined) throw new Error('Normalization over several axes needs a known rank');
    const a = axis < 0 ? axis + rank : axis;
    return Array.from({ length: rank - a }, (_, i) => a + i);
  }
}

export interface ReduceOptions {
  /** Keep reduced axes as size 1 (default true, as in ONNX). */
  keepdims?: boolean;
  /** With no axes: identity instead of reducing everything (opset 13/18+). */
  noopWithEmptyAxes?: boolean;
}

/**
 * Nodes in an order where every producer precedes its consumers (stable: otherwise the given order).
 * Nodes on a cycle, which a valid graph has none of, keep their relative order.
 */
export function topologicalOrder(nodes: readonly NodeProto[]): NodeProto[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)));
  const state = new Uint8Array(nodes.length); // 0 new, 1 on stack, 2 done
  const order: NodeProto[] = [];
  for (let root = 0; root < nodes.length; root++) {
    if (state[root]) continue;
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [i, k] = top;
      const inputs = nodes[i].input;
      if (k < inputs.length) {
        top[1]++;
        const p = producer.get(inputs[k]);
        if (p !== undefined && state[p] === 0) {
          state[p] = 1;
          stack.push([p, 0]);
        }
        continue;
      }
      stack.pop();
      state[i] = 2;
      order.push(nodes[i]);
    }
  }
  return order;
}

function forEachSubgraph(graph: GraphProto, visit: (g: GraphProto) => void): void {
  for (const n of graph.node) {
    for (const a of n.attribute) {
      for (const sub of a.g ? [a.g, ...a.graphs] : a.graphs) {
        visit(sub);
        forEachSubgraph(sub, visit);
      }
    }
  }
}

function isValue(v: unknown): v is Value {
  return typeof v === 'object' && v !== null && 'name' in v && 'dtype' in v && 'shape' in v && !Array.isArray(v);
}

function isTensorProto(v: unknown): v is TensorProto {
  return typeof v === 'object' && v !== null && 'dims' in v && 'externalData' in v;
}

function tensorMeta(t: TensorProto): Meta {
  const m: Meta = { dtype: dtypeFromCode(t.dataType), shape: [...t.dims] };
  const value = tensorValue(t);
  return value ? { ...m, value } : m;
}
