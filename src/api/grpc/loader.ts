// Loads proto/cairn.proto once, with the options the generated types were made for. The
// generated files (src/api/grpc/generated, `npm run gen`) describe the objects these options
// produce, so the two must change together: longs as JS numbers (the core asserts zxids and
// session ids are safe integers), enums as their numbers (the core uses ZooKeeper's numbers),
// defaults filled in, and a virtual field naming the member set in each oneof.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { assert } from '../../core/errors.js';
import type { ProtoGrpcType } from './generated/cairn.js';

const { FileDescriptorSet, FileDescriptorProto } = descriptor;

export const PROTO_RELATIVE_PATH = join('proto', 'cairn.proto');
/**
 * proto/cairn.proto compiled with its comments (a FileDescriptorSet with source code info, made
 * by `npm run gen` with Buf; npm test checks it is current). protobufjs, which the loader uses,
 * keeps no comments in the descriptors it makes, so reflection serves this file instead.
 */
export const DESCRIPTOR_SET_RELATIVE_PATH = join('src', 'api', 'grpc', 'generated', 'cairn.binpb');

/** Keep in step with the flags of the "gen" script in package.json. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: Number,
  defaults: true,
  oneofs: true,
};

/** The fully qualified service name, as health checks and reflection know it. */
export const SERVICE_NAME = 'cairn.v1.Cairn';

/**
 * The proto file sits at the project root; this module runs either from src/ (tests) or from
 * dist/src/ (the build), so walk up until it is found rather than hard-coding the depth.
 */
export function findProtoFile(startDirectory: string = dirname(fileURLToPath(import.meta.url))): string {
  return findAbove(PROTO_RELATIVE_PATH, startDirectory);
}

export function findDescriptorSet(startDirectory: string = dirname(fileURLToPath(import.meta.url))): string {
  return findAbove(DESCRIPTOR_SET_RELATIVE_PATH, startDirectory);
}

function findAbove(relativePath: string, startDirectory: string): string {
  let directory = startDirectory;
  for (;;) {
    const candidate = join(directory, relativePath);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`${relativePath} not found above ${startDirectory}`);
    directory = parent;
  }
}

export interface LoadedProto {
  packageDefinition: protoLoader.PackageDefinition;
  grpcObject: ProtoGrpcType;
}

let loaded: LoadedProto | undefined;

/** Parses the proto on first use; later calls share the result. */
export function loadCairnProto(): LoadedProto {
  if (loaded === undefined) {
    const packageDefinition = protoLoader.loadSync(findProtoFile(), LOADER_OPTIONS);
    const grpcObject = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;
    loaded = { packageDefinition, grpcObject };
  }
  return loaded;
}

/**
 * What server reflection describes: cairn.v1, with its comments (so `grpcurl describe` shows the
 * documentation), and grpc.health.v1, with field names as the .proto files spell them. (The
 * loader options above rename fields to camelCase for JS, and those names would otherwise leak
 * into the reflected descriptors.) Field numbers, and so the wire format, are the same either way.
 */
export function loadReflectionDefinition(): protoLoader.PackageDefinition {
  const definition = protoLoader.loadSync([findProtoFile(), healthProtoPath], { keepCase: true });
  const documented = FileDescriptorSet.decode(readFileSync(findDescriptorSet())) as unknown as { file: { name: string }[] };
  assert(documented.file.length === 1 && documented.file[0]!.name === 'cairn.proto', 'the descriptor set holds cairn.proto alone');
  const documentedFile = Buffer.from(FileDescriptorProto.encode(documented.file[0] as never).finish());
  // Every entry lists the files of the whole load (proto-loader names cairn.v1's file
  // "cairn_v1.proto"); reflection indexes them by name, so each entry gets the documented one.
  const names = new Map<Buffer, string>();
  const nameOf = (file: Buffer): string => {
    let name = names.get(file);
    if (name === undefined) names.set(file, (name = (FileDescriptorProto.decode(file) as unknown as { name: string }).name));
    return name;
  };
  for (const [name, entry] of Object.entries(definition)) {
    if (!('fileDescriptorProtos' in entry) || !Array.isArray(entry.fileDescriptorProtos)) continue;
    const files = (entry.fileDescriptorProtos as Buffer[]).map((file) => (nameOf(file) === 'cairn_v1.proto' ? documentedFile : file));
    assert(files.includes(documentedFile), `${name}'s files include cairn.v1's`);
    definition[name] = { ...entry, fileDescriptorProtos: files } as typeof entry;
  }
  return definition;
}
