import { Field, ID, Int, ObjectType, InputType } from '@nestjs/graphql';
import { Role } from '../roles.js';

@ObjectType('Operator', {
  description:
    'A person or script that uses the API, with the role that says what it may do. An operator named `oidc:<username>` signs in through the identity provider, which gives its role at each sign-in (the role shown is that of its last one).',
})
export class OperatorModel {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => Role)
  role!: Role;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Set when the operator was disabled: none of its tokens is accepted.' })
  disabledAt!: Date | null;
}

@ObjectType('ApiToken', { description: 'A personal API token. Its secret is shown once, when it is created; the server keeps only a hash.' })
export class ApiTokenModel {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'What the token is for ("backup scripts on host A").' })
  name!: string;

  @Field({ description: 'The operator whose role the token carries.' })
  operator!: string;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'After this the token is refused; null: it does not expire.' })
  expiresAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'The last request made with it (to the minute).' })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType('CreatedApiToken')
export class CreatedApiTokenModel {
  @Field({ description: 'The secret: send it as `Authorization: Bearer <token>`. Shown only now; store it.' })
  token!: string;

  @Field(() => ApiTokenModel)
  apiToken!: ApiTokenModel;
}

@InputType()
export class CreateOperatorInput {
  @Field({ description: 'Letters, digits, dot, dash, underscore; 1 to 64 characters.' })
  name!: string;

  @Field(() => Role)
  role!: Role;
}

@InputType()
export class CreateApiTokenInput {
  @Field({ description: 'The operator the token acts as.' })
  operator!: string;

  @Field({ description: 'What the token is for; 1 to 100 characters.' })
  name!: string;

  @Field(() => Int, { nullable: true, description: 'Days until it expires (1 to 3650); null: never.' })
  expiresInDays?: number | null;
}
