// Builds the GraphQL schema of the files and runs resolvers alone (no database, no server) and
// checks the operations and fields operators and the console rely on.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { printSchema, type GraphQLSchema } from 'graphql';
import { FileVersionConnectionResolver, FilesResolver } from '../../../src/modules/files/files.resolver.js';
import { RunsResolver } from '../../../src/modules/runs/runs.resolver.js';

describe('files GraphQL schema', () => {
  let sdl: string;
  let schema: GraphQLSchema;
  let close: () => Promise<void>;

  before(async () => {
    const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
    close = () => app.close();
    schema = await app.get(GraphQLSchemaFactory).create([FilesResolver, FileVersionConnectionResolver, RunsResolver]);
    sdl = printSchema(schema);
  });
  after(() => close());

  const signature = (name: string) => {
    const field = schema.getQueryType()!.getFields()[name];
    const args = field.args.map((a) => `${a.name}: ${String(a.type)}${a.defaultValue !== undefined ? ` = ${JSON.stringify(a.defaultValue)}` : ''}`);
    return `${name}(${args.join(', ')}): ${String(field.type)}`;
  };
  const fieldsOf = (type: string) =>
    Object.fromEntries(
      Object.values((schema.getType(type) as unknown as { getFields(): Record<string, { name: string; type: unknown }> }).getFields()).map((f) => [
        f.name,
        String(f.type),
      ]),
    );

  it('exposes files, fileVersions, runs and run with their arguments', () => {
    assert.equal(signature('files'), 'files(filter: FileFilter, first: Int = 50, after: String): FileVersionConnection!');
    assert.equal(signature('fileVersions'), 'fileVersions(host: String!, path: String!): [FileVersion!]!');
    assert.equal(signature('runs'), 'runs(host: String, first: Int = 50, after: String): RunConnection!');
    assert.equal(signature('run'), 'run(id: ID!): Run');
  });

  it('gives the filter every condition, all optional', () => {
    assert.deepEqual(fieldsOf('FileFilter'), {
      nameGlob: 'String',
      caseInsensitive: 'Boolean',
      pathPrefix: 'String',
      host: 'String',
      modifiedAfter: 'DateTime',
      modifiedBefore: 'DateTime',
      archivedAfter: 'DateTime',
      archivedBefore: 'DateTime',
      sizeMin: 'Float',
      sizeMax: 'Float',
      maxCopies: 'Int',
      sha256: 'String',
      tape: 'String',
      runId: 'ID',
      type: 'FileType',
      includeDeleted: 'Boolean',
    });
  });

  it('shapes the connection and the node', () => {
    assert.deepEqual(fieldsOf('FileVersionConnection'), { edges: '[FileVersionEdge!]!', pageInfo: 'PageInfo!', totalCount: 'Int!' });
    assert.deepEqual(fieldsOf('FileVersionEdge'), { cursor: 'String!', node: 'FileVersion!' });
    assert.deepEqual(fieldsOf('FileVersion'), {
      id: 'ID!',
      host: 'String!',
      path: 'String!',
      name: 'String!',
      directory: 'String',
      type: 'FileType!',
      size: 'Float!',
      mtime: 'DateTime!',
      mtimeNs: 'String!',
      mode: 'Int!',
      uid: 'Float',
      gid: 'Float',
      owner: 'String',
      group: 'String',
      sha256: 'String',
      symlinkTarget: 'String',
      xattrs: '[ExtendedAttribute!]!',
      acl: 'FileAcl',
      linkCount: 'Int!',
      hardLinkTo: 'String',
      device: 'DeviceNumbers',
      sparse: 'Boolean!',
      dataBytes: 'Float',
      runId: 'ID!',
      jobId: 'ID!',
      archivedAt: 'DateTime!',
      changedDuringBackup: 'Boolean!',
      deleted: 'Boolean!',
      placements: '[Placement!]!',
    });
    assert.deepEqual(fieldsOf('ExtendedAttribute'), { name: 'String!', value: 'String!', text: 'String' });
    assert.deepEqual(fieldsOf('DeviceNumbers'), { major: 'Int!', minor: 'Int!' });
    assert.deepEqual(fieldsOf('FileAcl'), { access: '[String!]', default: '[String!]' });
    assert.deepEqual(fieldsOf('Placement'), {
      barcode: 'String!',
      partition: 'String!',
      startBlock: 'Float!',
      containerPath: 'String!',
      offset: 'Float!',
      length: 'Float!',
      segment: 'Int!',
      fileOffset: 'Float!',
      copy: 'Int!',
      segmentSha256: 'String',
    });
    assert.match(sdl, /enum FileType \{\s*FILE\s*DIRECTORY\s*SYMLINK\s*FIFO\s*CHAR_DEVICE\s*BLOCK_DEVICE\s*\}/);
    assert.equal(fieldsOf('Run').level, 'RunLevel!');
  });
});
