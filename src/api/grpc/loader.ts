// Loads proto/cairn.proto once, with the options the generated types were made for. The
// generated files (src/api/grpc/generated, `npm run gen`) describe the objects these options
// produce, so the two must change together: longs as JS numbers (the core asserts zxids and
// session ids are safe integers), enums as their numbers (the core uses ZooKeeper's numbers),
// defaults filled in, and a virtual field naming the member set in each oneof.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { ProtoGrpcType } from './generated/cairn.js';

export const PROTO_RELATIVE_PATH = join('proto', 'cairn.proto');

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
  let directory = startDirectory;
  for (;;) {
    const candidate = join(directory, PROTO_RELATIVE_PATH);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`${PROTO_RELATIVE_PATH} not found above ${startDirectory}`);
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
 * What server reflection describes: cairn.v1 and grpc.health.v1, with field names as the
 * .proto files spell them. (The loader options above rename fields to camelCase for JS, and
 * those names would otherwise leak into the reflected descriptors.) Field numbers, and so the
 * wire format, are the same either way.
 */
export function loadReflectionDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync([findProtoFile(), healthProtoPath], { keepCase: true });
}
