// Tensors (TensorProto <-> typed arrays, float16) and typed attributes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { mulberry32 } from '../../../../src/core/random';
import {
  AttributeType,
  DataTypeCode,
  GraphBuilder,
  attr,
  attrFloat,
  attrInt,
  attrInts,
  attrString,
  bfloat16BitsToNumber,
  decodeModel,
  dtypeCode,
  dtypeFromCode,
  encodeModel,
  float16BitsToNumber,
  float16ToFloat32Array,
  float32ToFloat16Array,
  float32ToFloat16Bits,
  getFloat,
  getInt,
  getInts,
  getString,
  makeStringTensor,
  makeTensor,
  numberToBfloat16Bits,
  tensorFromNumbers,
  tensorToArray,
  tensorToNumbers,
  toAttribute,
  type NodeProto,
  type TensorProto,
} from '../../../../src/core/onnx';
import { runModel } from '../../../helpers/ort';
import { sharedData } from '../../../helpers/paths';

const toList = (a: unknown): (number | bigint)[] => Array.from(a as ArrayLike<number | bigint>);
const blank = (t: Partial<TensorProto>): TensorProto => ({ dims: [], stringData: [], externalData: [], metadataProps: [], ...t });

test('dtype names and codes map both ways', () => {
  for (const d of ['float32', 'float64', 'float16', 'bfloat16', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool', 'string'] as const) {
    assert.equal(dtypeFromCode(dtypeCode(d)), d);
  }
  assert.equal(dtypeCode('float32'), DataTypeCode.FLOAT);
  assert.equal(dtypeCode('float64'), DataTypeCode.DOUBLE);
  assert.equal(dtypeFromCode(0), undefined);
  assert.equal(dtypeFromCode(99), undefined);
});

test('makeTensor / tensorToArray round-trip every supported element type through encode/decode', () => {
  const cases: [TensorProto, ArrayLike<number | bigint>][] = [
    [makeTensor('f32', new Float32Array([1.5, -2, 3e-8, 65504]), [2, 2]), [1.5, -2, Math.fround(3e-8), 65504]],
    [makeTensor('f64', new Float64Array([Math.PI, -1e300]), [2]), [Math.PI, -1e300]],
    [makeTensor('f16', float32ToFloat16Array([1, -0.5, 65504]), [3], { dtype: 'float16' }), [0x3c00, 0xb800, 0x7bff]],
    [makeTensor('i64', BigInt64Array.from([9223372036854775807n, -9223372036854775808n, -1n]), [3]), [9223372036854775807n, -9223372036854775808n, -1n]],
    [makeTensor('i32', Int32Array.from([-2147483648, 7]), [2]), [-2147483648, 7]],
    [makeTensor('u8', Uint8Array.from([0, 255]), [2]), [0, 255]],
    [makeTensor('b', Uint8Array.from([1, 0, 1]), [3], { dtype: 'bool' }), [1, 0, 1]],
    [tensorFromNumbers('scalar', [42], [], 'int64'), [42n]],
  ];
  const g = new GraphBuilder();
  for (const [t] of cases) g.initializer(t.name!, t);
  const model = decodeModel(encodeModel(g.build()));
  for (const [t, want] of cases) {
    const back = model.graph.initializer.find((x) => x.name === t.name)!;
    assert.deepEqual(back.dims, t.dims);
    assert.deepEqual(toList(tensorToArray(back)), Array.from(want), t.name);
  }
});

test('tensorToArray reads the typed data fields too (float_data, int32_data for fp16/bool, int64_data, double_data)', () => {
  assert.deepEqual(toList(tensorToArray(blank({ dataType: 1, dims: [2], floatData: new Float32Array([1, 2]) }))), [1, 2]);
  assert.deepEqual(toList(tensorToArray(blank({ dataType: 10, dims: [1], int32Data: new Int32Array([0x3c00]) }))), [0x3c00]);
  assert.deepEqual(tensorToNumbers(blank({ dataType: 10, dims: [1], int32Data: new Int32Array([0x3c00]) })), [1]);
  assert.deepEqual(toList(tensorToArray(blank({ dataType: 9, dims: [2], int32Data: new Int32Array([1, 0]) }))), [1, 0]);
  assert.deepEqual(toList(tensorToArray(blank({ dataType: 7, dims: [1], int64Data: BigInt64Array.from([-5n]) }))), [-5n]);
  assert.deepEqual(toList(tensorToArray(blank({ dataType: 11, dims: [1], doubleData: new Float64Array([0.1]) }))), [0.1]);
  // raw_data at an odd offset (a view into a file buffer) is copied into an aligned array.
  const raw = new Uint8Array(9);
  new DataView(raw.buffer).setFloat32(1, 2.5, true);
  new DataView(raw.buffer).setFloat32(5, -1, true);
  assert.deepEqual(toList(tensorToArray(blank({ dataType: 1, dims: [2], rawData: raw.subarray(1) }))), [2.5, -1]);
  assert.throws(() => tensorToArray(blank({ dataType: 1, dims: [1], dataLocation: 1, externalData: [{ key: 'location', value: 'x' }] })), /external data/);
  assert.throws(() => makeTensor('bad', new Float32Array(3), [2, 2]), /3 values for dims \[2, 2\]/);
  assert.throws(() => makeTensor('bad', new Float32Array(1), [1], { dtype: 'float16' }), /needs a Uint16Array/);
  const s = makeStringTensor('s', ['héllo', ''], [2]);
  assert.equal(new TextDecoder().decode(s.stringData[0]), 'héllo');
});

test('float16: every bit pattern decodes and re-encodes to itself; rounding is to nearest even', () => {
  for (let h = 0; h < 0x10000; h++) {
    const x = float16BitsToNumber(h);
    if (Number.isNaN(x)) {
      assert.ok(Number.isNaN(float16BitsToNumber(float32ToFloat16Bits(x))));
      continue;
    }
    assert.equal(float32ToFloat16Bits(x), h, `bits 0x${h.toString(16)}`);
  }
  assert.equal(float32ToFloat16Bits(65504), 0x7bff);
  assert.equal(float32ToFloat16Bits(65520), 0x7c00, 'rounds up to Inf');
  assert.equal(float32ToFloat16Bits(65519), 0x7bff);
  assert.equal(float32ToFloat16Bits(2 ** -24), 0x0001, 'smallest subnormal');
  assert.equal(float32ToFloat16Bits(2 ** -25), 0x0000, 'tie to even (0)');
  assert.equal(float32ToFloat16Bits(3 * 2 ** -25), 0x0002, 'tie to even (2)');
  assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00, 'tie to even below');
  assert.equal(float32ToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02, 'tie to even above');
  assert.equal(float32ToFloat16Bits(-0), 0x8000);
  assert.equal(float32ToFloat16Bits(-Infinity), 0xfc00);
  assert.deepEqual(Array.from(float16ToFloat32Array(Uint16Array.from([0x3c00, 0xc000]))), [1, -2]);
  assert.equal(bfloat16BitsToNumber(numberToBfloat16Bits(1.5)), 1.5);
  assert.equal(numberToBfloat16Bits(1 + 2 ** -8), 0x3f80, 'bfloat16 tie to even');
});

test('float16 conversion agrees bit for bit with onnxruntime Cast(float -> float16)', async () => {
  const rnd = mulberry32(11);
  const n = 4096;
  const x = Float32Array.from({ length: n }, (_, i) => {
    const mag = 2 ** (rnd() * 40 - 26); // subnormals through overflow
    return (i % 2 ? -1 : 1) * mag * (1 + rnd());
  });
  const g = new GraphBuilder({ opset: 17 });
  g.output(g.cast(g.input('x', 'float32', [n]), 'float16'), 'y');
  const out = await runModel(encodeModel(g.build()), { x: { type: 'float32', data: x, dims: [n] } });
  const ort = out.y.data as Uint16Array;
  const mine = float32ToFloat16Array(x);
  let diff = 0;
  for (let i = 0; i < n; i++) if (ort[i] !== mine[i]) diff++;
  assert.equal(diff, 0, `${diff} of ${n} differ`);
});

test('attributes are typed: constructors, round trip, negative ints as 10-byte varints', () => {
  const node: NodeProto = {
    input: ['x'],
    output: ['y'],
    opType: 'Custom',
    attribute: [attrFloat('epsilon', 1e-5), attrInt('axis', -1), attrInts('ends', [9223372036854775807n, -1, 3]), attrString('mode', 'constant')],
    metadataProps: [],
  };
  const g = new GraphBuilder();
  const model = g.build();
  model.graph.node.push(node);
  const bytes = encodeModel(model);
  // AttributeProto.i = -1: tag 0x18, then ff*9 01.
  const needle = Buffer.from([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.ok(Buffer.from(bytes).includes(needle), 'negative int encodes as a 10-byte varint');
  const back = decodeModel(bytes).graph.node[0];
  assert.equal(getFloat(back, 'epsilon'), Math.fround(1e-5));
  assert.equal(getInt(back, 'axis'), -1);
  assert.deepEqual(back.attribute[2].ints, [9223372036854775807n, -1n, 3n]);
  assert.deepEqual(getInts(back, 'ends'), [9223372036854775807, -1, 3]);
  assert.equal(getString(back, 'mode'), 'constant');
  assert.equal(back.attribute[0].type, AttributeType.FLOAT);
  assert.throws(() => getInt(back, 'epsilon'), /'epsilon' is FLOAT, expected INT/);
  assert.equal(getInt(back, 'missing', 7), 7);
});

test('builder attribute values: typed by the op table, explicit wrappers elsewhere, no guessing', () => {
  assert.equal(toAttribute('epsilon', 1, 'FLOAT', 'x').type, AttributeType.FLOAT, 'epsilon: 1 is 1.0');
  assert.equal(toAttribute('axis', 1, 'INT', 'x').i, 1n);
  assert.throws(() => toAttribute('axis', 1.5, 'INT', 'x'), /must be an integer/);
  assert.throws(() => toAttribute('alpha', 1, undefined, 'Foo'), /type of attribute 'alpha' is unknown/);
  assert.equal(toAttribute('alpha', attr.float(1), undefined, 'Foo').f, 1);
  assert.throws(() => toAttribute('axis', attr.float(1), 'INT', 'Foo'), /must be INT/);
  assert.deepEqual(toAttribute('perm', [1, 0], 'INTS', 'x').ints, [1n, 0n]);
  assert.equal(toAttribute('mode', 'edge', undefined, 'x').type, AttributeType.STRING);
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float32', [2, 3]);
  const ln = g.op('LayerNormalization', [x, g.initializer('s', new Float32Array(3), [3])], { epsilon: 1, axis: -1 });
  const node = g.producer(ln.name)!;
  assert.equal(node.attribute.find((a) => a.name === 'epsilon')!.type, AttributeType.FLOAT);
  assert.equal(node.attribute.find((a) => a.name === 'axis')!.type, AttributeType.INT);
  assert.throws(() => g.op('Elu', [x], { alpha: 'x' }), /attribute 'alpha' is FLOAT/);
});

test('exporter attributes decode with the right types (epsilon FLOAT, axes INTS, perm INTS)', () => {
  const m = decodeModel(readFileSync(sharedData('onnx', 'ort__gpt2_past.onnx')));
  const rm = m.graph.node.find((n) => n.opType === 'ReduceMean')!;
  assert.deepEqual(getInts(rm, 'axes'), [-1]);
  const tr = m.graph.node.find((n) => n.opType === 'Transpose')!;
  assert.equal(getInts(tr, 'perm')!.length, 4);
});
