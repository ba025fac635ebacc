// The `files` query filter. All conditions combine with AND; every one is optional.
import { Field, Float, ID, InputType, Int } from '@nestjs/graphql';
import { FileType } from '../graphql-enums.js';
import type { FileFilterLike } from '../file-query.js';

@InputType('FileFilter', { description: 'Search conditions for `files`; all given conditions must hold.' })
export class FileFilterInput implements FileFilterLike {
  @Field(() => String, {
    nullable: true,
    description: 'Shell glob on the entry name: `*` any run, `?` one character, `[abc]`/`[a-z]`/`[!abc]` classes, `\\` escapes. `%` and `_` are literal.',
  })
  nameGlob?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Match nameGlob ignoring case.' })
  caseInsensitive?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Absolute path: the entry itself and everything under it, by whole components.' })
  pathPrefix?: string | null;

  @Field(() => String, { nullable: true, description: 'Source host name.' })
  host?: string | null;

  @Field(() => Date, { nullable: true, description: 'mtime >= this.' })
  modifiedAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: 'mtime < this.' })
  modifiedBefore?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Archived by a run started at or after this.' })
  archivedAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Archived by a run started before this.' })
  archivedBefore?: Date | null;

  @Field(() => Float, { nullable: true, description: 'Size >= this many bytes.' })
  sizeMin?: number | null;

  @Field(() => Float, { nullable: true, description: 'Size <= this many bytes.' })
  sizeMax?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Only non-empty files whose content lies on at most this many distinct usable tapes (not SUSPECT or RETIRED): `maxCopies: 1` = "fewer than 2 copies".',
  })
  maxCopies?: number | null;

  @Field(() => String, { nullable: true, description: 'Content SHA-256 as 64 hex digits.' })
  sha256?: string | null;

  @Field(() => String, { nullable: true, description: 'Barcode of a tape holding the content.' })
  tape?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only versions archived by this backup run.' })
  runId?: string | null;

  @Field(() => FileType, { nullable: true })
  type?: FileType | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Include deletion markers.' })
  includeDeleted?: boolean | null;
}
