// A device's numbers (st_rdev), for GraphQL.
import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('DeviceNumbers', { description: 'The major and minor numbers of a character or block device.' })
export class DeviceNumbersModel {
  @Field(() => Int)
  major!: number;

  @Field(() => Int)
  minor!: number;
}
