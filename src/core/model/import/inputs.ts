// Which model input is what: token ids, attention mask (2-D, or Megatron's float [B,1,n,n]), position
// ids, token types, past key/values, weights the export takes as inputs. Names decide where the
// convention is clear; the graph's structure decides for opaque names (input12, primals_7); the rest
// is an error that lists the inputs and says how to name them.
import { canonicalDomain, isIntDType, shapeToString, type Dim, type DType, type NodeProto, type Shape } from '../../onnx';
import { BackboneImportError } from './errors';
import { isFloatType, type GraphView } from './graphView';
import type { BackboneHints, ImportedInput, InputRole, MaskForm } from './types';

export const INPUT_ROLES: readonly InputRole[] = ['input_ids', 'attention_mask', 'position_ids', 'token_type_ids', 'past', 'zeros', 'weight'];

/** An embedding lookup fed (through casts and reshapes) by an integer input. */
export interface EmbeddingLookup {
  /** The table: a float [rows, width] value (initializer or weight input). */
  table: string;
  rows: number | undefined;
  width: number | undefined;
  node: NodeProto;
  /** The float value the lookup produces (the embedding output). */
  output: string;
}

/** Ops an index tensor passes through unchanged in meaning on its way to a Gather. */
const INDEX_PASS = new Set(['Cast', 'Reshape', 'Unsqueeze', 'Squeeze', 'Flatten', 'Identity', 'Slice', 'Expand', 'Concat', 'Tile']);

/** The first embedding lookup (Gather on a float 2-D table, or EmbedLayerNormalization) indexed by `input`. */
export function findEmbeddingLookup(view: GraphView, input: string, exclude: ReadonlySet<string> = new Set()): EmbeddingLookup | undefined {
  const reach = new Set<string>([input]);
  const stack = [input];
  const found: EmbeddingLookup[] = [];
  while (stack.length) {
    const v = stack.pop()!;
    for (const c of view.consumers(v)) {
      const domain = canonicalDomain(c.domain);
      if (domain === '' && c.opType === 'Gather' && c.input[1] === v && c.input[0] !== v) {
        const table = c.input[0];
        const s = view.shape(table);
        if (isFloatType(view.dtype(table)) && s?.length === 2 && !exclude.has(table)) {
          found.push({ table, rows: num(s[0]), width: num(s[1]), node: c, output: c.output[0] });
          continue;
        }
      }
      if (domain === 'com.microsoft' && c.opType === 'EmbedLayerNormalization' && c.input[0] === v && c.input[2]) {
        const s = view.shape(c.input[2]);
        found.push({ table: c.input[2], rows: num(s?.[0] ?? null), width: num(s?.[1] ?? null), node: c, output: c.output[0] });
        continue;
      }
      if (domain === '' && INDEX_PASS.has(c.opType) && c.input[0] === v) {
        for (const o of c.output) {
          if (o && !reach.has(o) && isIntDType(view.dtype(o) ?? 'int64')) {
            reach.add(o);
            stack.push(o);
          }
        }
      }
    }
  }
  found.sort((a, b) => view.pos(a.node) - view.pos(b.node));
  return found[0];
}

function num(d: Dim): number | undefined {
  return typeof d === 'number' ? d : undefined;
}

function norm(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

const NAME_RULES: readonly [RegExp, InputRole][] = [
  [/(^|_)(past|cache|layer_past|past_key_values|pkv)(_|$)|^past/, 'past'],
  [/(attention_mask|attn_mask|input_mask|padding_mask|^mask$)/, 'attention_mask'],
  [/(position_ids|pos_ids|^positions?$|position_id)/, 'position_ids'],
  [/(token_type_ids|token_type|segment_ids|segment|type_ids)/, 'token_type_ids'],
  [/^(input_ids|ids|tokens?|token_ids|input_tokens?|src_tokens|input|inputs|input_id)$/, 'input_ids'],
];

/** The role a name suggests, when it follows a known convention. */
export function roleFromName(name: string): InputRole | undefined {
  const n = norm(name);
  for (const [re, role] of NAME_RULES) if (re.test(n)) return role;
  return undefined;
}

const describe = (dtype: DType | undefined, shape: Shape): string => `${dtype ?? '?'}${shapeToString(shape)}`;

interface Classified {
  inputs: ImportedInput[];
  ids: ImportedInput;
  lookup: EmbeddingLookup;
}

/** Classifies every graph input (initializers listed as inputs are left out: they are weights with defaults). */
export function classifyInputs(view: GraphView, source: string, hints: BackboneHints, initializers: ReadonlySet<string>): Classified {
  const g = view.g;
  const hinted = hints.inputs ?? {};
  const graphInputs = g.inputs.filter((v) => !initializers.has(v.name));
  for (const [name, role] of Object.entries(hinted)) {
    if (!graphInputs.some((v) => v.name === name)) {
      throw new BackboneImportError('bad-hint', `hints.inputs names '${name}', which is not an input of ${source} (inputs: ${graphInputs.map((v) => v.name).join(', ')})`, [name]);
    }
    if (!INPUT_ROLES.includes(role)) throw new BackboneImportError('bad-hint', `hints.inputs['${name}'] = '${String(role)}' is not a role (${INPUT_ROLES.join(', ')})`, [name]);
  }

  const out = new Map<string, ImportedInput>();
  const pending: typeof graphInputs = [];
  for (const v of graphInputs) {
    const hint = hinted[v.name];
    if (hint) {
      out.set(v.name, { name: v.name, dtype: v.dtype, shape: v.shape, role: hint, reason: 'named by hints.inputs' });
      continue;
    }
    const role = roleFromName(v.name);
    if (role && fits(role, v.dtype, v.shape)) {
      out.set(v.name, { name: v.name, dtype: v.dtype, shape: v.shape, role, reason: `its name follows the ${role} convention` });
    } else pending.push(v);
  }

  // Token ids: the named one, else the only integer [batch, seq] input that indexes an embedding table.
  let ids = [...out.values()].find((i) => i.role === 'input_ids');
  let lookup = ids ? findEmbeddingLookup(view, ids.name) : undefined;
  if (!ids) {
    const candidates = pending.filter((v) => isIntDType(v.dtype) && v.shape?.length === 2);
    const indexing = candidates.map((v) => ({ v, lookup: findEmbeddingLookup(view, v.name) })).filter((c) => c.lookup);
    if (indexing.length === 1) {
      const { v } = indexing[0];
      lookup = indexing[0].lookup;
      ids = { name: v.name, dtype: v.dtype, shape: v.shape, role: 'input_ids', reason: `the only integer [batch, seq] input that indexes an embedding table (${lookup!.table})` };
      out.set(v.name, ids);
      pending.splice(pending.indexOf(v), 1);
    }
  }
  if (!ids || !lookup) throw notABackbone(view, source, ids?.name);
  if (ids.dtype !== 'int32' && ids.dtype !== 'int64') {
    throw new BackboneImportError('bad-hint', `the token-id input '${ids.name}' is ${describe(ids.dtype, ids.shape)}: token ids must be int32 or int64 [batch, seq]`, [ids.name]);
  }
  if (ids.shape?.length !== 2) {
    throw new BackboneImportError('bad-hint', `the token-id input '${ids.name}' is ${describe(ids.dtype, ids.shape)}: token ids must be [batch, seq]`, [ids.name]);
  }

  // Opaque names: a float input shaped like the ids is the mask; static float inputs without the
  // batch axis are weights (exports that take parameters as inputs).
  const batchDim = ids.shape[0];
  for (const v of [...pending]) {
    const s = v.shape;
    if (!s || !isFloatType(v.dtype)) continue;
    if (s.length === 2 && s[0] === ids.shape[0] && s[1] === ids.shape[1] && ![...out.values()].some((i) => i.role === 'attention_mask')) {
      out.set(v.name, { name: v.name, dtype: v.dtype, shape: s, role: 'attention_mask', reason: `a float input shaped like the token ids ${shapeToString(ids.shape)}` });
    } else if (s.length >= 1 && s.every((d) => typeof d === 'number') && s[0] !== batchDim && view.consumers(v.name).length > 0) {
      out.set(v.name, { name: v.name, dtype: v.dtype, shape: s, role: 'weight', reason: 'a float input with static dims and no batch axis, read like a weight: a parameter the export takes as an input' });
    } else continue;
    pending.splice(pending.indexOf(v), 1);
  }

  const unknown = graphInputs.filter((v) => !out.has(v.name));
  const bad = [...out.values()].filter((i) => !fits(i.role, i.dtype, i.shape));
  if (unknown.length || bad.length) {
    const lines = [
      ...unknown.map((v) => `  - ${v.name}: ${describe(v.dtype, v.shape)}`),
      ...bad.map((i) => `  - ${i.name}: ${describe(i.dtype, i.shape)} cannot be ${i.role} (${roleShape(i.role)})`),
    ];
    const example = unknown[0] ?? bad[0];
    throw new BackboneImportError(
      'unknown-inputs',
      `Cannot tell what ${unknown.length + bad.length === 1 ? 'this input' : 'these inputs'} of ${source} ${unknown.length + bad.length === 1 ? 'is' : 'are'}:\n${lines.join('\n')}\n` +
        `Name ${unknown.length + bad.length === 1 ? 'it' : 'them'} with hints.inputs, e.g. { inputs: { '${example.name}': 'zeros' } }. Roles: ` +
        `input_ids (token ids), attention_mask (1 real / 0 padding), position_ids (cumsum(mask) − 1), token_type_ids (zeros), ` +
        `past (an empty key/value cache), zeros (zeros of the declared shape), weight (a parameter the export takes as an input).`,
      [...unknown.map((v) => v.name), ...bad.map((i) => i.name)],
    );
  }

  const inputs = graphInputs.map((v) => out.get(v.name)!);
  for (const i of inputs) {
    if (i.role === 'attention_mask') i.mask = maskForm(view, i, hints);
    if (i.role === 'past') i.past = pastLayout(i, ids);
  }
  return { inputs, ids, lookup };
}

/** Whether a dtype/shape can play a role. */
function fits(role: InputRole, dtype: DType | undefined, shape: Shape): boolean {
  const rank = shape?.length;
  switch (role) {
    case 'input_ids':
    case 'position_ids':
    case 'token_type_ids':
      return isIntDType(dtype) && rank === 2;
    case 'attention_mask':
      return rank === 2 || (rank === 4 && isFloatType(dtype));
    case 'past':
      return isFloatType(dtype) && rank !== undefined && rank >= 3;
    case 'zeros':
      return dtype !== undefined && shape !== undefined;
    case 'weight':
      return isFloatType(dtype) && shape !== undefined && shape.every((d) => typeof d === 'number');
  }
}

function roleShape(role: InputRole): string {
  switch (role) {
    case 'input_ids':
    case 'position_ids':
    case 'token_type_ids':
      return 'needs int32/int64 [batch, seq]';
    case 'attention_mask':
      return 'needs [batch, seq] or float [batch, 1, n, n]';
    case 'past':
      return 'needs a float tensor of rank >= 3 with a past-length axis';
    case 'zeros':
      return 'needs a known dtype and shape';
    case 'weight':
      return 'needs a float tensor with static dims';
  }
}

/** Megatron's [B,1,n,n] float mask: the square size and whether it is multiplied in or added. */
function maskForm(view: GraphView, input: ImportedInput, hints: BackboneHints): MaskForm {
  const s = input.shape!;
  if (s.length === 2) return { kind: '2d' };
  const size = typeof s[2] === 'number' && s[2] === s[3] ? s[2] : undefined;
  // Follow the mask through slicing and casting to the first op that combines it with the scores.
  const pass = new Set(['Slice', 'Cast', 'Unsqueeze', 'Reshape', 'Expand', 'Identity', 'Squeeze', 'Transpose', 'Tile']);
  const ops = new Set<string>();
  const seen = new Set<string>([input.name]);
  const stack = [input.name];
  while (stack.length) {
    const v = stack.pop()!;
    for (const c of view.consumers(v)) {
      if (pass.has(c.opType) && c.input[0] === v) {
        for (const o of c.output) {
          if (!o || seen.has(o)) continue;
          seen.add(o);
          stack.push(o);
        }
      } else ops.add(c.opType);
    }
  }
  const convention = ops.has('Add') && !ops.has('Mul') && !ops.has('Sub') ? 'additive' : 'keep';
  return { kind: '4d', size, convention, causal: hints.causal ?? false }; // the analysis settles causality
}

/** Which axes of a past key/value input are the batch and the past length. */
function pastLayout(input: ImportedInput, ids: ImportedInput): { batchAxis: number; pastAxis: number } {
  const s = input.shape!;
  const batch = ids.shape![0];
  const batchAxis = s.findIndex((d) => d !== null && d === batch);
  const symbolic = s.map((d, i) => ({ d, i })).filter(({ d, i }) => typeof d === 'string' && i !== batchAxis);
  const preferred = symbolic.find(({ d }) => /past|cache|seq|len|total/i.test(String(d))) ?? (symbolic.length === 1 ? symbolic[0] : undefined);
  if (batchAxis < 0 || !preferred) {
    throw new BackboneImportError(
      'unknown-inputs',
      `Cannot tell the past-length axis of '${input.name}' ${describe(input.dtype, input.shape)} (the token ids are ${shapeToString(ids.shape)}): ` +
        `an empty past needs a symbolic past-length axis next to the batch axis. Name the input with hints.inputs (e.g. 'zeros') if it is not a key/value cache.`,
      [input.name],
    );
  }
  return { batchAxis, pastAxis: preferred.i };
}

/** The error for graphs that are not token ids → hidden states, saying what they look like instead. */
function notABackbone(view: GraphView, source: string, idsName: string | undefined): BackboneImportError {
  const g = view.g;
  const inputs = g.inputs;
  const outputs = g.outputs;
  const why: string[] = [];
  if (idsName) why.push(`its token-id input '${idsName}' does not index an embedding table (no Gather on a float [vocab, H] table is fed by it)`);
  else {
    const ints = inputs.filter((v) => isIntDType(v.dtype) && v.shape?.length === 2);
    why.push(
      ints.length
        ? `none of its integer [batch, seq] inputs (${ints.map((v) => `${v.name} ${describe(v.dtype, v.shape)}`).join(', ')}) indexes an embedding table`
        : 'it has no integer [batch, seq] token-id input',
    );
  }
  // A backward graph: outputs shaped like weights (or placeholders), saved activations as inputs,
  // the ids only scattered into a gradient.
  const weightShaped = outputs.filter((v) => v.shape && v.shape.length <= 2 && v.shape.every((d) => typeof d === 'number'));
  const activations = inputs.filter((v) => isFloatType(v.dtype) && (v.shape?.length ?? 0) >= 3);
  const scatter = inputs.some((v) => isIntDType(v.dtype) && [...view.descendants([v.name])].some((d) => view.consumers(d).some((c) => c.opType.startsWith('Scatter'))));
  const placeholders = outputs.filter((v) => /NONE/.test(v.name));
  if ((weightShaped.length >= outputs.length / 2 && activations.length) || placeholders.length || scatter) {
    const ex = weightShaped.slice(0, 3).map((v) => `${v.name} ${describe(v.dtype, v.shape)}`);
    const acts = activations.slice(0, 3).map((v) => `${v.name} ${describe(v.dtype, v.shape)}`);
    why.push(
      `it looks like a backward (gradient) graph: ${weightShaped.length} of its ${outputs.length} outputs have the static shapes of weights (${ex.join(', ')}${weightShaped.length > 3 ? ', …' : ''})` +
        (placeholders.length ? `, ${placeholders.length} are placeholders (${placeholders[0].name})` : '') +
        (acts.length ? `, it reads saved forward activations (${acts.join(', ')}${activations.length > 3 ? ', …' : ''})` : '') +
        (scatter ? ' and it scatters the token ids into a gradient (ScatterND) instead of looking them up' : '') +
        ': import the forward graph instead',
    );
  } else if (activations.length) {
    const acts = activations.slice(0, 3).map((v) => `${v.name} ${describe(v.dtype, v.shape)}`);
    why.push(`it takes float activations as inputs (${acts.join(', ')}): it looks like a single layer or block, not a whole model that starts from token ids`);
  }
  const calls = g.nodes.filter((n) => canonicalDomain(n.domain) !== '' && canonicalDomain(n.domain) !== 'com.microsoft');
  const functions = g.build().functions;
  if (calls.length && functions.length) {
    const kinds = [...new Set(calls.map((n) => `${canonicalDomain(n.domain)}::${n.opType}`))];
    why.push(`its nodes call ${functions.length} local functions (${kinds.slice(0, 4).join(', ')}${kinds.length > 4 ? ', …' : ''}), which the importer does not inline`);
  }
  return new BackboneImportError(
    'not-a-backbone',
    `${source} is not a backbone that maps token ids to hidden states: ${why.join('; ')}.`,
    idsName ? [idsName] : [],
  );
}
