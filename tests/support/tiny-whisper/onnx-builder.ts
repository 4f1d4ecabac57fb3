// A small helper for writing ONNX graphs node by node with onnx-proto.
// Only what the Whisper-shaped test models need. Subgraphs (If branches) share the root's
// name counter, because ONNX needs unique names across nested graphs, and keep their
// weights in the root graph, so both branches of an If can use the same tensors.
import { onnx } from "onnx-proto";

export const DataType = onnx.TensorProto.DataType;
type DataTypeId = onnx.TensorProto.DataType;
export type Dim = number | string;

type Attribute =
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "ints"; value: number[] }
  | { kind: "graph"; value: onnx.IGraphProto };

export const attr = {
  int: (value: number): Attribute => ({ kind: "int", value }),
  float: (value: number): Attribute => ({ kind: "float", value }),
  ints: (value: number[]): Attribute => ({ kind: "ints", value }),
  graph: (value: onnx.IGraphProto): Attribute => ({ kind: "graph", value }),
};

function toAttributeProto(name: string, a: Attribute): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case "int":
      return { name, type: T.INT, i: a.value };
    case "float":
      return { name, type: T.FLOAT, f: a.value };
    case "ints":
      return { name, type: T.INTS, ints: a.value };
    case "graph":
      return { name, type: T.GRAPH, g: a.value };
  }
}

function valueInfo(name: string, elemType: DataTypeId, dims?: Dim[]): onnx.IValueInfoProto {
  const shape = dims && {
    dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
  };
  return { name, type: { tensorType: { elemType, shape } } };
}

type Weight = Float32Array | Int8Array | BigInt64Array;

function dataTypeOf(data: Weight): DataTypeId {
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof Int8Array) return DataType.INT8;
  return DataType.INT64;
}

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly weightNames = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = { next: 0 };
  private root: GraphBuilder = this;

  /** A builder for an If branch: it may read this graph's values by name. */
  subgraph(): GraphBuilder {
    const branch = new GraphBuilder();
    branch.counter = this.counter;
    branch.root = this.root;
    return branch;
  }

  input(name: string, elemType: DataTypeId, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: DataTypeId, dims?: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A root-graph initializer, made on the first request for `name` and shared after that. */
  weight(name: string, dims: number[], make: () => Weight): string {
    const root = this.root;
    if (!root.weightNames.has(name)) {
      const data = make();
      root.weightNames.add(name);
      root.initializers.push({
        name,
        dims,
        dataType: dataTypeOf(data),
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      });
    }
    return name;
  }

  /** Small constants are deduplicated so graphs stay readable in Netron. */
  float(value: number): string {
    return this.constant(`f:${value}`, () => new Float32Array([value]), []);
  }

  int64s(values: number[]): string {
    return this.constant(`i:${values.join(",")}`, () => BigInt64Array.from(values.map(BigInt)), [values.length]);
  }

  int64Scalar(value: number): string {
    return this.constant(`is:${value}`, () => BigInt64Array.from([BigInt(value)]), []);
  }

  private constant(key: string, make: () => Weight, dims: number[]): string {
    const constants = this.root.constants;
    let name = constants.get(key);
    if (!name) {
      name = this.weight(`const_${this.counter.next++}`, dims, make);
      constants.set(key, name);
    }
    return name;
  }

  op(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}, outputName?: string): string {
    return this.opMulti(opType, inputs, 1, attributes, outputName ? [outputName] : undefined)[0] as string;
  }

  opMulti(
    opType: string,
    inputs: string[],
    outputCount: number,
    attributes: Record<string, Attribute> = {},
    outputNames?: string[],
  ): string[] {
    const id = this.counter.next++;
    const output = outputNames ?? Array.from({ length: outputCount }, (_, i) => `${opType}_${id}_${i}`);
    this.nodes.push({
      name: `${opType}_${id}`,
      opType,
      input: inputs,
      output,
      attribute: Object.entries(attributes).map(([name, a]) => toAttributeProto(name, a)),
    });
    return output;
  }

  toGraph(name: string): onnx.IGraphProto {
    return {
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    };
  }
}

export function encodeModel(graph: onnx.IGraphProto, opsetVersion: number): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "aiui-tiny-whisper",
    opsetImport: [{ domain: "", version: opsetVersion }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
