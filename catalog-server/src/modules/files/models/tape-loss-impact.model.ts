// `tapeLossImpact(barcode)`: what the catalog would lose if one tape died.
import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import { FileVersionModel } from './file-version.model.js';

@ObjectType('TapeLossImpact', { description: 'Contents whose only usable copy (of some segment) is on this tape, and the file versions using them.' })
export class TapeLossImpactModel {
  @Field(() => String)
  barcode!: string;

  @Field(() => Int, { description: 'Distinct contents that would be lost.' })
  contents!: number;

  @Field(() => Float, { description: 'Their total size in bytes.' })
  bytes!: number;

  @Field(() => Int, { description: 'File versions (deletion markers excluded) whose content would be lost.' })
  fileVersions!: number;

  @Field(() => [FileVersionModel], { description: 'The first of those file versions (as many as `first` asked for), by archive order.' })
  files!: FileVersionModel[];
}
